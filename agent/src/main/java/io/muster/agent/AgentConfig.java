package io.muster.agent;

import io.muster.backend.Backends;
import io.muster.cleanup.CleanupSettings;
import io.muster.config.Config;
import io.muster.config.ConfigException;
import io.muster.config.ConfigLoader;
import io.muster.config.ConfigProblem;
import io.muster.config.CoreKeys;
import io.muster.config.CoreSettings;
import io.muster.config.SecretFile;
import io.muster.declarative.ClustererBackend;
import io.muster.declarative.Quorum;
import io.muster.exec.ExecSettings;
import io.muster.formation.PeerAuth;
import io.muster.formation.PeerTls;
import io.muster.formation.engine.FormationEngine;
import io.muster.render.RenderSettings;
import io.muster.spi.Backend;
import io.muster.spi.BackendFactory;
import io.muster.spi.FormationLock;
import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
    ExecSettings exec,
    Optional<PeerAuth> peerAuth,
    Optional<byte[]> apiToken,
    Optional<PeerTls> peerTls) {

  /** Loads a file (or only defaults and environment when {@code file} is null). */
  public static AgentConfig load(Path file, Map<String, String> env) {
    Backends backends = Backends.load();
    Config config = new ConfigLoader(backends.catalogue(AgentKeys.ALL)).load(file, env);
    return of(config, env, backends);
  }

  /** Loads config text (tests, multi-agent harnesses). */
  public static AgentConfig fromText(String name, String text, Map<String, String> env) {
    Backends backends = Backends.load();
    Config config = new ConfigLoader(backends.catalogue(AgentKeys.ALL)).loadText(name, text, env);
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
              "expected " + e.getMessage() + ", got " + ConfigProblem.quote(core.backend())));
    }
    failClosed(config, core);
    // Cross-field rules of cleanup, rendered files and exec are checked at load time too.
    return new AgentConfig(
        config,
        core,
        factory,
        checked(config, () -> CleanupSettings.from(config)),
        checked(config, () -> RenderSettings.from(config)),
        checked(config, () -> ExecSettings.from(config)),
        config
            .find(CoreKeys.PEER_SECRET_FILE)
            .map(
                f ->
                    PeerAuth.load(
                        f,
                        config.origin(CoreKeys.PEER_SECRET_FILE).orElse(config.source()),
                        CoreKeys.PEER_SECRET_FILE.name())),
        config
            .find(CoreKeys.API_TOKEN_FILE)
            .map(
                f ->
                    SecretFile.read(
                        f,
                        config.origin(CoreKeys.API_TOKEN_FILE).orElse(config.source()),
                        CoreKeys.API_TOKEN_FILE.name(),
                        16)),
        peerTls(config));
  }

  /**
   * {@code muster.peer.tls.*}: the three files together or none, each readable, the key the
   * certificate's; every problem at once, with the line that set it.
   */
  private static Optional<PeerTls> peerTls(Config config) {
    List<Key<Path>> keys =
        List.of(CoreKeys.PEER_TLS_CERT, CoreKeys.PEER_TLS_KEY, CoreKeys.PEER_TLS_CA);
    List<ConfigProblem> problems = new ArrayList<>();
    long set = keys.stream().filter(k -> config.find(k).isPresent()).count();
    if (set == 0) {
      return Optional.empty();
    }
    for (Key<Path> k : keys) {
      Optional<Path> f = config.find(k);
      if (f.isEmpty()) {
        problems.add(
            new ConfigProblem(
                config.source() + " (" + k.name() + " not set)",
                k.name(),
                "expected a PEM file: peer TLS needs cert_file, key_file and ca_file together"));
      } else if (!Files.isReadable(f.get())) {
        problems.add(
            new ConfigProblem(
                config.origin(k).orElse(config.source()),
                k.name(),
                "expected a readable PEM file, but " + f.get() + " cannot be read"));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    PeerTls tls =
        new PeerTls(
            config.get(CoreKeys.PEER_TLS_CERT),
            config.get(CoreKeys.PEER_TLS_KEY),
            config.get(CoreKeys.PEER_TLS_CA),
            config.get(CoreKeys.PEER_TLS_RELOAD));
    tls.pairProblem()
        .ifPresent(
            p -> {
              throw new ConfigException(
                  List.of(
                      new ConfigProblem(
                          config.origin(CoreKeys.PEER_TLS_KEY).orElse(config.source()),
                          CoreKeys.PEER_TLS_KEY.name(),
                          "expected the private key of the certificate in "
                              + CoreKeys.PEER_TLS_CERT.name()
                              + ", but "
                              + p)));
            });
    return Optional.of(tls);
  }

  /**
   * formation.md invariant 8, fail closed: a config that sets nothing, or that seeds alone when
   * retries run out without {@code muster.allow_standalone = true}, is exit 2, every problem at
   * once. (classic_config's list of this node alone is checked when the backend is created.)
   */
  private static void failClosed(Config config, CoreSettings core) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (config.redacted().isEmpty()) {
      problems.add(
          new ConfigProblem(
              config.source() + " (the whole file)",
              CoreKeys.BACKEND.name(),
              "expected cluster_formation.* or muster.* keys, found none: nothing says which"
                  + " nodes form the cluster (an empty file, or the wrong one?)"));
    }
    if (core.onExhausted() == CoreSettings.OnExhausted.STANDALONE
        && !config.get(CoreKeys.ALLOW_STANDALONE)) {
      problems.add(
          new ConfigProblem(
              config.origin(CoreKeys.ON_EXHAUSTED).orElse(config.source()),
              CoreKeys.ON_EXHAUSTED.name(),
              "expected wait, or standalone together with muster.allow_standalone = true:"
                  + " standalone seeds a cluster of one when retries run out"));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  /**
   * What {@code validate} and the agent's start warn about, for a config that works but is likely
   * not what a production cluster wants: a data dir under /tmp (a reboot or a tmp cleaner loses the
   * record, and the node then forms or joins anew), a loopback node name (no other host reaches
   * it), and a lockless backend without {@code target_cluster_size_hint} (the first nodes up may
   * form the cluster before the others are discovered).
   */
  public List<String> warnings(Backend backend) {
    List<String> out = new ArrayList<>();
    Path data = core.dataDir().toAbsolutePath().normalize();
    if (data.startsWith("/tmp") || data.startsWith("/var/tmp")) {
      out.add(
          where(CoreKeys.DATA_DIR)
              + ": "
              + data
              + " is under a temporary directory: a reboot or a tmp cleaner loses the membership"
              + " record, and the node then forms or joins anew");
    }
    String host = core.nodeName().host();
    if (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]")) {
      out.add(
          where(CoreKeys.NODE_NAME)
              + ": "
              + core.nodeName()
              + " has a loopback host: no other host can reach this node (fine for several"
              + " agents on one machine)");
    }
    if (exec.probe().isPresent()) {
      // a node completed by its readiness probe (muster exec, or the sidecar's probe)
      if (cleanup.membersCommand().isEmpty()) {
        out.add(
            where(CleanupSettings.MEMBERS_COMMAND)
                + ": not set, so a joiner completes on its readiness probe alone: a node that fell"
                + " back to standalone passes it too. Set it (e.g. rabbitmqctl cluster_status"
                + " --formatter json) so that completion carries the node's own members"
                + " (formation.md invariant 9)");
      }
      if (backend instanceof FormationLock && !exec.canReset()) {
        out.add(
            where(ExecSettings.RESET_COMMAND)
                + ": neither it nor muster.node.data_dir is set, so muster exec cannot reset a node"
                + " whose seed decision was withdrawn: started again, it boots its standalone data"
                + " (formation.md invariant 9)");
      }
    }
    if (FormationEngine.usesContactPoints(backend) && config.find(CoreKeys.TARGET_SIZE).isEmpty()) {
      out.add(
          where(CoreKeys.TARGET_SIZE)
              + ": not set on a lockless backend: set it to the cluster's size, so that the first"
              + " nodes up do not form the cluster before the others are discovered");
    }
    if (backend instanceof ClustererBackend c) {
      Quorum.advice(
              c.inForce().nodes().size(), "the cluster config (" + c.inForce().describe() + ")")
          .ifPresent(out::add);
    } else {
      config
          .find(CoreKeys.TARGET_SIZE)
          .flatMap(n -> Quorum.advice(n, where(CoreKeys.TARGET_SIZE)))
          .ifPresent(out::add);
    }
    return out;
  }

  private String where(Key<?> key) {
    return config.origin(key).orElse(config.source()) + ": " + key.name();
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
    return createBackend(vertx, UUID.randomUUID().toString());
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
