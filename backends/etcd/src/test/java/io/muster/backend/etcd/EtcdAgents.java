package io.muster.backend.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.BootTogether;
import io.muster.testing.TestAgents;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Agents on the etcd backend for tests: node names {@code rabbit@nodeI}; lock backends need no peer
 * port, so any number of them fit on one machine. {@code node_ttl} is 3 s.
 */
final class EtcdAgents {

  private EtcdAgents() {}

  static TestAgents of(EtcdCluster etcd, Path dir, String clusterName, String extra) {
    return of(etcd, dir, clusterName, 3, i -> "rabbit@node" + i, i -> dir.resolve("n" + i), extra);
  }

  /**
   * As {@link #of(EtcdCluster, Path, String, String)}, agent i named {@code name.apply(i)} with
   * data dir {@code dataDir.apply(i)} and {@code node_ttl} of {@code ttlSeconds}.
   */
  static TestAgents of(
      EtcdCluster etcd,
      Path dir,
      String clusterName,
      int ttlSeconds,
      IntFunction<String> name,
      IntFunction<Path> dataDir,
      String extra) {
    return new TestAgents(
        dir,
        i ->
            "muster.node_name = "
                + name.apply(i)
                + "\nmuster.api.port = 0\nmuster.data_dir = "
                + dataDir.apply(i)
                + "\ncluster_formation.peer_discovery_backend = etcd\n"
                + etcd.endpointsConfig()
                + "cluster_formation.etcd.cluster_name = "
                + clusterName
                + "\ncluster_formation.etcd.node_ttl = "
                + ttlSeconds
                + "\ncluster_formation.discovery_retry_interval = 200\n"
                + "cluster_formation.discovery_retry_limit = 100\n"
                + extra);
  }

  /** Boots agents 1..n together, checks they formed one cluster and completes every node. */
  static List<Agent> formCluster(TestAgents agents, int n) throws Exception {
    List<Agent> started = new ArrayList<>();
    List<Decision> decisions = EtcdFormationIT.bootTogether(agents, n, 0, started);
    BootTogether.assertOneCluster(decisions);
    BootTogether.completeSeedFirst(started);
    return started;
  }

  /** The lease of every registered node of {@code cluster}, read from etcd, by node name. */
  static Map<String, Long> leases(Client client, String cluster) throws Exception {
    String prefix = new EtcdPaths("rabbitmq", cluster).nodesPrefix();
    Map<String, Long> leases = new HashMap<>();
    for (var kv :
        client
            .getKVClient()
            .get(EtcdPaths.bytes(prefix), GetOption.builder().isPrefix(true).build())
            .get(5, TimeUnit.SECONDS)
            .getKvs()) {
      leases.put(EtcdPaths.text(kv.getKey()).substring(prefix.length()), kv.getLease());
    }
    return leases;
  }
}
