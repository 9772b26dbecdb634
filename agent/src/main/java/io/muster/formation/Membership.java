package io.muster.formation;

import io.muster.spi.NodeName;
import java.time.Instant;
import java.util.Set;

/**
 * The cluster this node belongs to, as recorded in the data dir. {@code configVersion}: in
 * declarative mode, the cluster config version this membership was decided at (a gospel {@code
 * reset} of a younger version resets it); 0 otherwise.
 */
public record Membership(
    NodeName node, String clusterId, Set<NodeName> members, Instant formedAt, long configVersion) {
  public Membership {
    members = Set.copyOf(members);
  }

  /** A membership decided outside declarative mode. */
  public Membership(NodeName node, String clusterId, Set<NodeName> members, Instant formedAt) {
    this(node, clusterId, members, formedAt, 0);
  }
}
