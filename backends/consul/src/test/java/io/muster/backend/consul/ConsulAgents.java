package io.muster.backend.consul;

import io.muster.testing.TestAgents;
import java.nio.file.Path;

/**
 * Agents on the Consul backend for tests, against {@code host:port} (the emulator or a real
 * Consul). Node names are {@code rabbit@nodeI}; the service address is the node name's host, so
 * service IDs differ. The check TTL is 2 s (sessions use Consul's 10 s minimum).
 */
final class ConsulAgents {

  private ConsulAgents() {}

  static TestAgents of(String consul, Path dir, String extra) {
    return named(consul, dir, extra, i -> "rabbit@node" + i);
  }

  /** As {@link #of}, agent i named {@code nodeName.apply(i)} (data dir still {@code dir/nI}). */
  static TestAgents named(
      String consul, Path dir, String extra, java.util.function.IntFunction<String> nodeName) {
    String[] hp = consul.split(":");
    return new TestAgents(
        dir,
        i ->
            "muster.node_name = "
                + nodeName.apply(i)
                + "\nmuster.api.port = 0\nmuster.data_dir = "
                + dir.resolve("n" + i)
                + "\ncluster_formation.peer_discovery_backend = consul\n"
                + "cluster_formation.consul.host = "
                + hp[0]
                + "\ncluster_formation.consul.port = "
                + hp[1]
                + "\ncluster_formation.consul.svc_addr_auto = true\n"
                + "cluster_formation.consul.svc_ttl = 2\n"
                + "cluster_formation.discovery_retry_interval = 200\n"
                + "cluster_formation.discovery_retry_limit = 200\n"
                + extra);
  }

  /**
   * The config of one Consul backend as {@code rabbit@node1} against {@code host:port}, for tests
   * that create a backend or discover once (no agent); {@code extra}: more lines.
   */
  static String backendConf(String consul, String extra) {
    String[] hp = consul.split(":");
    return "muster.node_name = rabbit@node1\ncluster_formation.peer_discovery_backend = consul\n"
        + "cluster_formation.consul.host = "
        + hp[0]
        + "\ncluster_formation.consul.port = "
        + hp[1]
        + "\n"
        + extra;
  }
}
