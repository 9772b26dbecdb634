package io.muster.config;

import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.NodeName;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The core's keys: RabbitMQ's {@code cluster_formation.*} keys with RabbitMQ's defaults, and
 * Muster's own {@code muster.*} keys. The one place their defaults are written down.
 */
public final class CoreKeys {

  private CoreKeys() {}

  public static final Key<String> BACKEND =
      Key.scalar(
          "cluster_formation.peer_discovery_backend",
          KeyType.STRING,
          "classic_config",
          "Discovery backend: a short name (classic_config, dns, aws, k8s, consul, etcd) or"
              + " RabbitMQ's module name (rabbit_peer_discovery_etcd).");

  /**
   * {@code declarative}: the Clusterer's model (a versioned config names the cluster's nodes and
   * gospel; io.muster.declarative), which is the {@code clusterer} backend.
   */
  public static final Key<String> MODE =
      Key.scalar(
          "muster.mode",
          KeyType.oneOf("discovery", "declarative"),
          "discovery",
          "discovery: peers come from peer_discovery_backend. declarative: the cluster is the one"
              + " a versioned clusterer.* config declares (the same as peer_discovery_backend ="
              + " clusterer).");

  public static final Key<Integer> RETRY_LIMIT =
      Key.scalar(
          "cluster_formation.discovery_retry_limit",
          KeyType.integer(0, 1_000_000),
          10,
          "How many times a failed discovery, or a formation wait, is retried before"
              + " muster.on_exhausted applies.");

  public static final Key<Duration> RETRY_INTERVAL =
      Key.scalar(
          "cluster_formation.discovery_retry_interval",
          KeyType.duration("ms", Duration.ofMillis(10), Duration.ofMinutes(10)),
          Duration.ofMillis(500),
          "Base delay between retries; jittered, and doubled after each failure of the backend"
              + " up to 8x.");

  public static final Key<Integer> TARGET_SIZE =
      Key.scalar(
          "cluster_formation.target_cluster_size_hint",
          KeyType.integer(1, 100_000),
          1,
          "A lockless seed waits until at least this many nodes are known.");

  public static final Key<Duration> CLEANUP_INTERVAL =
      Key.scalar(
          "cluster_formation.node_cleanup.interval",
          KeyType.duration("s", Duration.ofSeconds(1), Duration.ofDays(1)),
          Duration.ofSeconds(60),
          "How often cluster members unknown to the backend are looked for.");

  public static final Key<Boolean> CLEANUP_ONLY_LOG =
      Key.scalar(
          "cluster_formation.node_cleanup.only_log_warning",
          KeyType.BOOLEAN,
          true,
          "true: only log members the backend no longer knows; false: remove them.");

  public static final Key<URI> HTTP_PROXY =
      Key.scalar(
          "cluster_formation.proxy.http_proxy",
          KeyType.PROXY,
          null,
          "Proxy for the backends' plain HTTP requests.");

  public static final Key<URI> HTTPS_PROXY =
      Key.scalar(
          "cluster_formation.proxy.https_proxy",
          KeyType.PROXY,
          null,
          "Proxy for the backends' HTTPS requests.");

  public static final Key<List<String>> PROXY_EXCLUSIONS =
      Key.list(
          "cluster_formation.proxy.proxy_exclusions",
          KeyType.HOST_ADDRESS,
          "Hosts reached without the proxy (e.g. 169.254.169.254).");

  public static final Key<NodeName> NODE_NAME =
      Key.scalar(
              "muster.node_name",
              KeyType.NODE_NAME,
              null,
              "The local node's name; else RABBITMQ_NODENAME, else rabbit@<hostname> (short"
                  + " unless RABBITMQ_USE_LONGNAME=true).")
          .withDefaultText("RABBITMQ_NODENAME or rabbit@<hostname>");

  public static final Key<Path> DATA_DIR =
      Key.scalar(
          "muster.data_dir",
          KeyType.PATH,
          Path.of("/var/lib/muster"),
          "Where the agent records the membership it formed (a node that has one rejoins).");

  public static final Key<String> API_BIND =
      Key.scalar(
          "muster.api.bind",
          KeyType.HOST_ADDRESS,
          "127.0.0.1",
          "Address of the HTTP API. Keep it on loopback unless something else must reach it.");

  public static final Key<Integer> API_PORT =
      Key.scalar("muster.api.port", KeyType.port(true), 7070, "Port of the HTTP API (0: any).");

  public static final Key<Path> API_TOKEN_FILE =
      Key.scalar(
              "muster.api.token_file",
              KeyType.PATH,
              null,
              "File holding a bearer token (at least 16 bytes) that the API's mutating endpoints"
                  + " (POST /v1/formation*, PUT /v1/members) then require: every container of a"
                  + " pod shares loopback. Read-only endpoints stay open.")
          .withDefaultText("none: loopback callers may mutate");

  public static final Key<String> PEER_BIND =
      Key.scalar(
              "muster.peer.bind",
              KeyType.HOST_ADDRESS,
              null,
              "Address of the peer port (lockless backends only), reached by other agents.")
          .withDefaultText("the node name's host");

  public static final Key<Integer> PEER_PORT =
      Key.scalar(
          "muster.peer.port",
          KeyType.port(false),
          7071,
          "Peer port: other agents ask GET /v1/node here. The same on every node.");

  public static final Key<Path> PEER_SECRET_FILE =
      Key.scalar(
              "muster.peer.secret_file",
              KeyType.PATH,
              null,
              "File holding a secret every agent of the cluster shares (at least 16 bytes; the"
                  + " Erlang cookie will do). Probes and answers on the peer port are then signed"
                  + " with a key derived from it; unsigned, forged, stale (30 s) or replayed probes"
                  + " get 401 and are never counted.")
          .withDefaultText("none: the peer port trusts any valid node name");

  public static final Key<Path> PEER_TLS_CERT =
      Key.scalar(
          "muster.peer.tls.cert_file",
          KeyType.PATH,
          null,
          "Peer port mutual TLS: this agent's certificate (PEM), signed by muster.peer.tls.ca_file"
              + " and naming the node's host. Set the three files or none.");

  public static final Key<Path> PEER_TLS_KEY =
      Key.scalar(
          "muster.peer.tls.key_file",
          KeyType.PATH,
          null,
          "Peer port mutual TLS: the certificate's private key (PEM, PKCS#8).");

  public static final Key<Path> PEER_TLS_CA =
      Key.scalar(
          "muster.peer.tls.ca_file",
          KeyType.PATH,
          null,
          "Peer port mutual TLS: the CA every agent's certificate is signed by; peers without"
              + " one are refused in both directions.");

  public static final Key<Duration> PEER_TLS_RELOAD =
      Key.scalar(
          "muster.peer.tls.reload_interval",
          KeyType.duration("s", Duration.ofMillis(100), Duration.ofHours(24)),
          Duration.ofSeconds(30),
          "How often the TLS files are checked for changes; changed ones are read again, so a"
              + " rotated certificate takes effect without a restart.");

  public static final Key<Boolean> METRICS_JVM =
      Key.scalar(
          "muster.metrics.jvm",
          KeyType.BOOLEAN,
          true,
          "Also export the JVM's and the process's metrics (memory, GC, threads, CPU, file"
              + " descriptors) on /metrics.");

  public static final Key<String> HEALTH_BIND =
      Key.scalar(
          "muster.health.bind",
          KeyType.HOST_ADDRESS,
          "0.0.0.0",
          "Address of the health port, when muster.health.port is set.");

  public static final Key<Integer> HEALTH_PORT =
      Key.scalar(
              "muster.health.port",
              KeyType.port(false),
              null,
              "Health port: GET /health/live, /health/ready and /health/started only, for probes"
                  + " that cannot reach the loopback API (a kubelet's). Off unless set.")
          .withDefaultText("off");

  public static final Key<Duration> STABLE_MARGIN =
      Key.scalar(
          "muster.stable_margin",
          KeyType.duration("ms", Duration.ZERO, Duration.ofMinutes(10)),
          Duration.ofSeconds(1),
          "A lockless seed waits until the set of known nodes has not changed for this long.");

  public static final Key<Duration> REASSERT_INTERVAL =
      Key.scalar(
          "muster.reassert_interval",
          KeyType.duration("ms", Duration.ofMillis(100), Duration.ofMinutes(10)),
          Duration.ofSeconds(2),
          "Lock backends: how often a formed agent writes the cluster's formed marker back if the"
              + " store lost it (wipe, restore); also at once after re-registering. The window"
              + " in which a node deciding after a wipe could seed beside the live cluster.");

  public static final Key<String> ON_EXHAUSTED =
      Key.scalar(
          "muster.on_exhausted",
          KeyType.oneOf("wait", "standalone"),
          "wait",
          "When retries run out: wait (keep trying, report not ready) or standalone (seed"
              + " alone, as RabbitMQ does; may form a second cluster).");

  public static final Key<Boolean> ALLOW_STANDALONE =
      Key.scalar(
          "muster.allow_standalone",
          KeyType.BOOLEAN,
          false,
          "Allow a config that seeds without peers' agreement: a classic_config list of this"
              + " node alone (or none), or muster.on_exhausted = standalone. Off: such a config is"
              + " exit 2, since it yields a cluster of one.");

  public static final Key<Duration> DISCOVERY_TIMEOUT =
      Key.scalar(
          "muster.discovery.timeout",
          KeyType.duration("ms", Duration.ofMillis(100), Duration.ofMinutes(5)),
          Duration.ofSeconds(10),
          "Bound on one discovery request to the backend.");

  public static final Key<Duration> POLL_INTERVAL =
      Key.scalar(
          "muster.discovery.poll_interval",
          KeyType.duration("s", Duration.ofMillis(100), Duration.ofHours(24)),
          Duration.ofSeconds(30),
          "After formation, how often a backend without watches is asked again (jittered).");

  public static final Key<Duration> PROBE_TIMEOUT =
      Key.scalar(
          "muster.peer.probe_timeout",
          KeyType.duration("ms", Duration.ofMillis(50), Duration.ofMinutes(1)),
          Duration.ofSeconds(2),
          "Bound on one GET /v1/node to a peer's agent.");

  public static final Key<Duration> SHUTDOWN_TIMEOUT =
      Key.scalar(
          "muster.shutdown_timeout",
          KeyType.duration("s", Duration.ofMillis(100), Duration.ofMinutes(10)),
          Duration.ofSeconds(10),
          "Bound on unregistering and releasing at stop.");

  /** Keys RabbitMQ defines that Muster accepts so a whole rabbitmq.conf loads. */
  public static final List<Key<?>> COMPAT =
      List.of(
          Key.ignored(
              "cluster_formation.node_type", "RabbitMQ's disc/ram choice belongs to the node"),
          Key.ignored(
              "cluster_formation.randomized_startup_delay_range.min",
              "random startup delays are not a formation mechanism in Muster"),
          Key.ignored(
              "cluster_formation.randomized_startup_delay_range.max",
              "random startup delays are not a formation mechanism in Muster"),
          Key.ignored(
              "cluster_formation.lock_retry_limit",
              "the lock wait is bounded by the backend's lock_timeout"),
          Key.ignored(
              "cluster_formation.lock_retry_timeout",
              "the lock wait is bounded by the backend's lock_timeout"),
          Key.ignored(
              "cluster_formation.internal_lock_retries",
              "Muster does not use Erlang's global lock"),
          Key.ignored(
              "cluster_formation.registration.enabled", "registration backends always register"));

  /**
   * Every key of this package, in the order {@code muster describe} prints them. Node cleanup,
   * rendered files and {@code muster exec} declare theirs in their own packages; {@code
   * io.muster.agent.AgentKeys} lists them all.
   */
  public static final List<Key<?>> ALL =
      List.of(
          BACKEND,
          MODE,
          RETRY_LIMIT,
          RETRY_INTERVAL,
          TARGET_SIZE,
          CLEANUP_INTERVAL,
          CLEANUP_ONLY_LOG,
          HTTP_PROXY,
          HTTPS_PROXY,
          PROXY_EXCLUSIONS,
          NODE_NAME,
          DATA_DIR,
          API_BIND,
          API_PORT,
          API_TOKEN_FILE,
          PEER_BIND,
          PEER_PORT,
          PEER_SECRET_FILE,
          PEER_TLS_CERT,
          PEER_TLS_KEY,
          PEER_TLS_CA,
          PEER_TLS_RELOAD,
          METRICS_JVM,
          HEALTH_BIND,
          HEALTH_PORT,
          STABLE_MARGIN,
          REASSERT_INTERVAL,
          ON_EXHAUSTED,
          ALLOW_STANDALONE,
          DISCOVERY_TIMEOUT,
          POLL_INTERVAL,
          PROBE_TIMEOUT,
          SHUTDOWN_TIMEOUT);
}
