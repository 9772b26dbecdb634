package io.muster.formation;

import io.muster.spi.NodeName;
import java.util.List;
import java.util.Set;

/** The result of one evaluation of a formation rule. */
public sealed interface Outcome {

  /** Not yet: {@code reason} says what is awaited, for the log and {@code /v1/status}. */
  record KeepProbing(String reason) implements Outcome {}

  /** This node seeds the cluster. */
  record SeedSelf() implements Outcome {}

  /** Join {@code target}'s cluster, trying {@code peers} in order (target first). */
  /**
   * Join {@code clusterId}: try {@code peers} in order. {@code proof}: the nodes the joiner's node
   * must list among its members to prove it joined that cluster (formation.md invariant 9): the
   * seed of a forming cluster, the agents that answered formed for a formed one (a member list a
   * peer reports may name nodes that lost their data since).
   */
  record JoinOther(NodeName target, List<NodeName> peers, String clusterId, Set<NodeName> proof)
      implements Outcome {
    public JoinOther {
      peers = List.copyOf(peers);
      proof = Set.copyOf(proof);
    }

    /** Any node it is told to try is proof. */
    public JoinOther(NodeName target, List<NodeName> peers, String clusterId) {
      this(target, peers, clusterId, Set.copyOf(peers));
    }
  }
}
