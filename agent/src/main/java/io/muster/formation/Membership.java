package io.muster.formation;

import io.muster.spi.NodeName;
import java.time.Instant;
import java.util.Set;

/** The cluster this node belongs to, as recorded in the data dir. */
public record Membership(NodeName node, String clusterId, Set<NodeName> members, Instant formedAt) {
  public Membership {
    members = Set.copyOf(members);
  }
}
