package io.muster.render;

import io.muster.formation.Decision;
import io.muster.formation.PeerView;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a template sees. The variables, documented in docs/deploy/rabbitmq.md:
 *
 * <ul>
 *   <li>{@code node}, {@code node_host}, {@code node_prefix}: the local node;
 *   <li>{@code action} (seed, join, rejoin or empty before a decision), {@code seed}, {@code
 *       cluster_id};
 *   <li>{@code join}: the nodes the node should contact, in order (the seed first; empty for a
 *       seed), each with {@code name}, {@code host}, {@code prefix};
 *   <li>{@code peers}: the last good peer list, sorted, each with {@code name}, {@code host},
 *       {@code prefix} and {@code self}; {@code others}: the same without the local node;
 *   <li>{@code peer_count}, {@code index} (grows on every change), {@code backend}.
 * </ul>
 */
public final class RenderContext {

  private RenderContext() {}

  /** How long RabbitMQ waits between join attempts in the builtin template, in ms. */
  static final long JOIN_RETRY_INTERVAL_MS = 500;

  /**
   * The context for a peer view and (possibly absent) decision. {@code joinWindow} is how long the
   * node may take to become ready ({@code muster.exec.ready.timeout}): a joiner must keep retrying
   * its join at least that long, so that it never gives up and starts standalone while Muster still
   * waits for it (issue 18, defect 3); {@code join_retry_limit} covers it with 10 s to spare.
   */
  public static Map<String, Object> of(
      NodeName self,
      String backend,
      PeerView.Snapshot view,
      Decision decision,
      Duration joinWindow) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("node", self.toString());
    c.put("node_host", self.host());
    c.put("node_prefix", self.prefix());
    c.put("action", decision == null ? "" : decision.action());
    c.put("seed", decision == null ? "" : decision.seed().toString());
    c.put(
        "cluster_id", decision == null || decision.clusterId() == null ? "" : decision.clusterId());
    List<NodeName> join = decision == null ? List.of() : decision.peers();
    c.put("join", nodes(join, self));
    c.put("peers", nodes(view.peers(), self));
    c.put("others", nodes(view.peers().stream().filter(n -> !n.equals(self)).toList(), self));
    c.put("peer_count", view.peers().size());
    c.put("index", view.index());
    c.put("backend", backend);
    long window = joinWindow.toMillis() + 10_000;
    c.put("join_retry_interval_ms", JOIN_RETRY_INTERVAL_MS);
    c.put("join_retry_limit", (window + JOIN_RETRY_INTERVAL_MS - 1) / JOIN_RETRY_INTERVAL_MS);
    return c;
  }

  private static List<Map<String, Object>> nodes(List<NodeName> names, NodeName self) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (NodeName n : names) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", n.toString());
      m.put("host", n.host());
      m.put("prefix", n.prefix());
      m.put("self", n.equals(self));
      out.add(m);
    }
    return out;
  }

  /**
   * Contexts of every shape (no decision, seed, join, rejoin), used to check templates at load
   * time.
   */
  static List<Map<String, Object>> samples() {
    NodeName self = NodeName.parse("rabbit@node-1");
    NodeName other = NodeName.parse("rabbit@node-2");
    PeerView.Snapshot view =
        new PeerView.Snapshot(
            List.of(self, other), List.of(self, other), false, 2, true, null, null, null);
    Duration window = Duration.ofMinutes(5); // any: only the variables' presence is checked
    return List.of(
        of(self, "classic_config", view, null, window),
        of(self, "classic_config", view, new Decision.Seed(self, "sample"), window),
        of(
            self,
            "classic_config",
            view,
            new Decision.Join(other, List.of(other), "sample"),
            window),
        of(
            self,
            "classic_config",
            view,
            new Decision.Rejoin(other, List.of(other), "sample"),
            window));
  }
}
