package io.muster.bench;

import java.nio.file.Path;

/**
 * Agent configs for the benchmarks: the product's defaults, plus only what many agents in one JVM
 * need (their own node name, data dir and an ephemeral API port).
 */
final class Configs {

  private Configs() {}

  private static String common(String node, Path dir, int i, String backend) {
    return "muster.node_name = "
        + node
        + "\nmuster.api.port = 0\nmuster.data_dir = "
        + dir.resolve("n" + i)
        + "\ncluster_formation.peer_discovery_backend = "
        + backend
        + "\n";
  }

  /** Agent {@code i} on etcd, node {@code rabbit@nodeI} (node_ttl at its default, 30 s). */
  static String etcd(String endpoint, String clusterName, Path dir, int i) {
    return common("rabbit@node" + i, dir, i, "etcd")
        + "cluster_formation.etcd.endpoints.1 = "
        + endpoint
        + "\ncluster_formation.etcd.cluster_name = "
        + clusterName
        + "\n";
  }

  /**
   * Agent {@code i} of {@code n} on classic_config: node {@code rabbit@127.0.0.I}, every node
   * listed, contact points on {@code peerPort} of each node's own loopback address.
   */
  static String classic(int n, int peerPort, Path dir, int i) {
    StringBuilder b =
        new StringBuilder(common("rabbit@127.0.0." + i, dir, i, "classic_config"))
            .append("muster.peer.port = ")
            .append(peerPort)
            .append('\n');
    for (int j = 1; j <= n; j++) {
      b.append("cluster_formation.classic_config.nodes.")
          .append(j)
          .append(" = rabbit@127.0.0.")
          .append(j)
          .append('\n');
    }
    return b.toString();
  }

  /**
   * Agent {@code i} of {@code n} in declarative mode: node {@code rabbit@127.0.0.I}, a version-1
   * config in the Clusterer's keys listing every node, gospel {@code rabbit@127.0.0.1}, agents
   * asking each other on {@code peerPort} of each node's own loopback address.
   */
  static String clusterer(int n, int peerPort, Path dir, int i) {
    StringBuilder b =
        new StringBuilder(common("rabbit@127.0.0." + i, dir, i, "clusterer"))
            .append("muster.peer.port = ")
            .append(peerPort)
            .append("\nclusterer.version = 1\nclusterer.gospel.node = rabbit@127.0.0.1\n");
    for (int j = 1; j <= n; j++) {
      b.append("clusterer.nodes.disc.")
          .append(j)
          .append(" = rabbit@127.0.0.")
          .append(j)
          .append('\n');
    }
    return b.toString();
  }

  /**
   * Agent {@code i} on Consul at {@code address} (host:port), node {@code rabbit@nodeI}, service
   * address from the node name (so service IDs differ); svc_ttl at its default, 30 s.
   */
  static String consul(String address, Path dir, String node, int i) {
    String[] hp = address.split(":");
    return common(node, dir, i, "consul")
        + "cluster_formation.consul.host = "
        + hp[0]
        + "\ncluster_formation.consul.port = "
        + hp[1]
        + "\ncluster_formation.consul.svc_addr_auto = true\n";
  }
}
