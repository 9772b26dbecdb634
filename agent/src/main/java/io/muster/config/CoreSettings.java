package io.muster.config;

import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.muster.spi.NodeName;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** The core's typed settings, checked together. */
public record CoreSettings(
    String backend,
    int retryLimit,
    Duration retryInterval,
    int targetClusterSize,
    Duration cleanupInterval,
    boolean cleanupOnlyLogWarning,
    Optional<URI> httpProxy,
    Optional<URI> httpsProxy,
    List<String> proxyExclusions,
    NodeName nodeName,
    Path dataDir,
    String apiBind,
    int apiPort,
    String peerBind,
    int peerPort,
    String healthBind,
    Optional<Integer> healthPort,
    Duration stableMargin,
    Duration reassertInterval,
    OnExhausted onExhausted,
    Duration discoveryTimeout,
    Duration pollInterval,
    Duration probeTimeout,
    Duration shutdownTimeout) {

  /** What to do when retries run out. */
  public enum OnExhausted {
    WAIT,
    STANDALONE
  }

  public CoreSettings {
    proxyExclusions = List.copyOf(proxyExclusions);
    if (apiPort != 0 && apiPort == peerPort && sameAddress(apiBind, peerBind)) {
      throw new InvalidSettingException(
          CoreKeys.PEER_PORT, "a port other than muster.api.port (" + apiPort + ") on one address");
    }
    healthPort.ifPresent(
        port -> {
          if ((port == apiPort && sameAddress(healthBind, apiBind))
              || (port == peerPort && sameAddress(healthBind, peerBind))) {
            throw new InvalidSettingException(
                CoreKeys.HEALTH_PORT,
                "a port other than muster.api.port ("
                    + apiPort
                    + ") and muster.peer.port ("
                    + peerPort
                    + ")");
          }
        });
  }

  private static boolean sameAddress(String a, String b) {
    return a.equals(b) || "0.0.0.0".equals(a) || "0.0.0.0".equals(b);
  }

  /**
   * Reads the core settings and resolves the node name.
   *
   * @param env the process environment (RABBITMQ_NODENAME, RABBITMQ_USE_LONGNAME)
   * @param hostname supplies this machine's host name, asked only when needed
   * @throws ConfigException when values do not fit together
   */
  public static CoreSettings from(
      Config config, Map<String, String> env, Supplier<String> hostname) {
    NodeName node = NodeNames.resolve(config, env, hostname);
    try {
      return new CoreSettings(
          backend(config),
          config.get(CoreKeys.RETRY_LIMIT),
          config.get(CoreKeys.RETRY_INTERVAL),
          config.get(CoreKeys.TARGET_SIZE),
          config.get(CoreKeys.CLEANUP_INTERVAL),
          config.get(CoreKeys.CLEANUP_ONLY_LOG),
          config.find(CoreKeys.HTTP_PROXY),
          config.find(CoreKeys.HTTPS_PROXY),
          config.get(CoreKeys.PROXY_EXCLUSIONS),
          node,
          config.get(CoreKeys.DATA_DIR),
          config.get(CoreKeys.API_BIND),
          config.get(CoreKeys.API_PORT),
          config.find(CoreKeys.PEER_BIND).orElse(node.address()),
          config.get(CoreKeys.PEER_PORT),
          config.get(CoreKeys.HEALTH_BIND),
          config.find(CoreKeys.HEALTH_PORT),
          config.get(CoreKeys.STABLE_MARGIN),
          config.get(CoreKeys.REASSERT_INTERVAL),
          OnExhausted.valueOf(config.get(CoreKeys.ON_EXHAUSTED).toUpperCase(Locale.ROOT)),
          config.get(CoreKeys.DISCOVERY_TIMEOUT),
          config.get(CoreKeys.POLL_INTERVAL),
          config.get(CoreKeys.PROBE_TIMEOUT),
          config.get(CoreKeys.SHUTDOWN_TIMEOUT));
    } catch (InvalidSettingException e) {
      throw problem(config, e);
    }
  }

  /**
   * The backend's name: {@code muster.mode = declarative} is the {@code clusterer} backend, and
   * naming another one beside it is a contradiction, not a choice to guess at.
   */
  private static String backend(Config config) {
    String named = config.get(CoreKeys.BACKEND);
    if (!config.get(CoreKeys.MODE).equals("declarative")) {
      return named;
    }
    if (config.find(CoreKeys.BACKEND).isPresent() && !CLUSTERER.contains(named)) {
      throw new ConfigException(
          new ConfigProblem(
              config.origin(CoreKeys.BACKEND).orElse(config.source()),
              CoreKeys.BACKEND.name(),
              "expected clusterer (or no backend) with muster.mode = declarative, set at "
                  + config.origin(CoreKeys.MODE).orElse(config.source())
                  + ", got "
                  + ConfFile.quote(named)));
    }
    return "clusterer";
  }

  private static final Set<String> CLUSTERER = Set.of("clusterer", "rabbitmq_clusterer");

  /** Turns a settings constructor's complaint into a located config problem. */
  public static ConfigException problem(Config config, InvalidSettingException e) {
    Key<?> key = e.key();
    String message = e.getMessage().substring(key.name().length() + 2);
    if (e.index() != null) {
      String written = key.name().replace(".N.", "." + e.index() + ".");
      String origin =
          config.origin(key, e.index()).orElse(config.source() + " (" + written + " not set)");
      return new ConfigException(new ConfigProblem(origin, written, "expected " + message));
    }
    String origin = config.origin(key).orElse(config.source() + " (default)");
    return new ConfigException(new ConfigProblem(origin, key.name(), "expected " + message));
  }
}
