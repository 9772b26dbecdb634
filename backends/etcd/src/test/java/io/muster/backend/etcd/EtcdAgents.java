package io.muster.backend.etcd;

import io.muster.testing.TestAgents;
import java.nio.file.Path;

/**
 * Agents on the etcd backend for tests: node names {@code rabbit@nodeI}; lock backends need no peer
 * port, so any number of them fit on one machine. {@code node_ttl} is 3 s.
 */
final class EtcdAgents {

  private EtcdAgents() {}

  static TestAgents of(EtcdCluster etcd, Path dir, String clusterName, String extra) {
    return new TestAgents(
        dir,
        i ->
            "muster.node_name = rabbit@node"
                + i
                + "\nmuster.api.port = 0\nmuster.data_dir = "
                + dir.resolve("n" + i)
                + "\ncluster_formation.peer_discovery_backend = etcd\n"
                + etcd.endpointsConfig()
                + "cluster_formation.etcd.cluster_name = "
                + clusterName
                + "\ncluster_formation.etcd.node_ttl = 3\n"
                + "cluster_formation.discovery_retry_interval = 200\n"
                + "cluster_formation.discovery_retry_limit = 100\n"
                + extra);
  }
}
