package io.muster.formation;

import io.muster.spi.NodeName;
import java.util.List;

/** The result of one evaluation of a formation rule. */
public sealed interface Outcome {

  /** Not yet: {@code reason} says what is awaited, for the log and {@code /v1/status}. */
  record KeepProbing(String reason) implements Outcome {}

  /** This node seeds the cluster. */
  record SeedSelf() implements Outcome {}

  /** Join {@code target}'s cluster, trying {@code peers} in order (target first). */
  record JoinOther(NodeName target, List<NodeName> peers, String clusterId) implements Outcome {
    public JoinOther {
      peers = List.copyOf(peers);
    }
  }
}
