package io.muster.agent;

import io.muster.testing.Ports;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Test fixture: agents for nodes {@code rabbit@127.0.0.i} on classic_config, each binding its peer
 * port on its own loopback address, all in this JVM.
 */
final class LoopbackAgents implements AutoCloseable {

  private final List<Agent> agents = new ArrayList<>();
  final int peerPort;
  private final Path dataRoot;

  LoopbackAgents(Path dataRoot, int maxHost) {
    this.dataRoot = dataRoot;
    this.peerPort = Ports.freeOnLoopbacks(maxHost);
  }

  String configText(int host, List<Integer> listed, String extra) {
    StringBuilder b = new StringBuilder();
    b.append("muster.node_name = rabbit@127.0.0.").append(host).append('\n');
    b.append("muster.api.port = 0\n");
    b.append("muster.peer.port = ").append(peerPort).append('\n');
    b.append("muster.data_dir = ").append(dataRoot.resolve("n" + host)).append('\n');
    b.append("muster.stable_margin = 200ms\n");
    b.append("muster.peer.probe_timeout = 1s\n");
    b.append("cluster_formation.discovery_retry_interval = 100\n");
    b.append("cluster_formation.discovery_retry_limit = 100\n");
    for (int i = 0; i < listed.size(); i++) {
      b.append("cluster_formation.classic_config.nodes.")
          .append(i + 1)
          .append(" = rabbit@127.0.0.")
          .append(listed.get(i))
          .append('\n');
    }
    if (listed.stream().allMatch(i -> i == host) && !extra.contains("muster.allow_standalone")) {
      // a node meant to run alone must say so (formation.md invariant 8)
      b.append("muster.allow_standalone = true\n");
    }
    b.append(extra);
    return b.toString();
  }

  Agent start(int host, List<Integer> listed, String extra) {
    Agent a =
        Agent.start(
            AgentConfig.fromText(
                "node" + host + ".conf", configText(host, listed, extra), Map.of()));
    synchronized (agents) {
      agents.add(a);
    }
    return a;
  }

  @Override
  public void close() {
    List<Agent> all;
    synchronized (agents) {
      all = new ArrayList<>(agents);
      agents.clear();
    }
    all.parallelStream().forEach(Agent::close);
  }
}
