package io.muster.agent;

import io.muster.backend.Backends;
import io.muster.cleanup.CleanupSettings;
import io.muster.config.Config;
import io.muster.config.ConfigException;
import io.muster.config.ConfigLoader;
import io.muster.config.ConfigProblem;
import io.muster.config.CoreKeys;
import io.muster.config.CoreSettings;
import io.muster.exec.ExecSettings;
import io.muster.render.RenderSettings;
import io.muster.spi.Backend;
import io.muster.spi.BackendFactory;
import io.muster.spi.InvalidSettingException;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A loaded and checked configuration: the raw settings, the core's typed settings, the selected
 * backend's factory, and the typed settings of node cleanup, rendered files and {@code muster
 * exec}, each parsed once at load.
 *
 * @throws ConfigException from {@link #load} when anything is wrong (exit code 2)
 */
public record AgentConfig(
    Config config,
    CoreSettings core,
    BackendFactory factory,
    CleanupSettings cleanup,
    RenderSettings render,
    ExecSettings exec) {

  /** Loads a file (or only defaults and environment when {@code file} is null). */
  public static AgentConfig load(Path file, Map<String, String> env) {
    Backends backends = Backends.load();
    Config config = new ConfigLoader(backends.catalogue()).load(file, env);
    return of(config, env, backends);
  }

  /** Loads config text (tests, multi-agent harnesses). */
  public static AgentConfig fromText(String name, String text, Map<String, String> env) {
    Backends backends = Backends.load();
    Config config = new ConfigLoader(backends.catalogue()).loadText(name, text, env);
    return of(config, env, backends);
  }

  private static AgentConfig of(Config config, Map<String, String> env, Backends backends) {
    CoreSettings core = CoreSettings.from(config, env, AgentConfig::hostname);
    BackendFactory factory;
    try {
      factory = backends.select(core.backend());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          new ConfigProblem(
              config.origin(CoreKeys.BACKEND).orElse(config.source()),
              CoreKeys.BACKEND.name(),
              "expected " + e.getMessage() + ", got \"" + core.backend() + "\""));
    }
    // Cross-field rules of cleanup, rendered files and exec are checked at load time too.
    return new AgentConfig(
        config,
        core,
        factory,
        checked(config, () -> CleanupSettings.from(config)),
        checked(config, () -> RenderSettings.from(config)),
        checked(config, () -> ExecSettings.from(config)));
  }

  /** Runs a settings constructor; its complaint becomes a located config problem (exit 2). */
  private static <T> T checked(Config config, Supplier<T> settings) {
    try {
      return settings.get();
    } catch (InvalidSettingException e) {
      throw CoreSettings.problem(config, e);
    }
  }

  /**
   * Creates the selected backend with this config.
   *
   * @throws ConfigException when the backend's settings do not fit together
   */
  public Backend createBackend(Vertx vertx) {
    // not a running agent's (muster peers, tools): an instance id of its own, never kept
    return createBackend(vertx, java.util.UUID.randomUUID().toString());
  }

  /**
   * Creates the selected backend for an agent whose data dir keeps {@code instanceId}.
   *
   * @throws ConfigException when the backend's settings do not fit together
   */
  public Backend createBackend(Vertx vertx, String instanceId) {
    return checked(
        config, () -> factory.create(new AgentBackendContext(core, config, vertx, instanceId)));
  }

  static String hostname() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      throw new ConfigException(
          new ConfigProblem(
              "host name",
              "muster.node_name",
              "expected a resolvable host name; set muster.node_name"));
    }
  }
}
