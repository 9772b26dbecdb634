package io.muster.formation;

import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * What a lockless agent knows when it evaluates the contact-point rule.
 *
 * @param self the local node
 * @param discovered what the backend reported (last good list)
 * @param probedBy agents that probed this one: they count as discovered
 * @param answers peers' answers from the latest probe round, by node
 * @param knownStableFor how long the union of known nodes has been unchanged
 * @param stableMargin how long it must be unchanged before seeding
 * @param targetSize {@code target_cluster_size_hint}
 * @param knowsOf clusters this agent itself saw formed (it is not their member)
 */
public record Observation(
    NodeName self,
    Set<NodeName> discovered,
    Set<NodeName> probedBy,
    Map<NodeName, NodeInfo> answers,
    Duration knownStableFor,
    Duration stableMargin,
    int targetSize,
    Set<String> knowsOf) {

  public Observation {
    discovered = Set.copyOf(discovered);
    probedBy = Set.copyOf(probedBy);
    answers = Map.copyOf(answers);
    knowsOf = Set.copyOf(knowsOf);
  }

  /** An agent that knows of no cluster it is not a member of. */
  public Observation(
      NodeName self,
      Set<NodeName> discovered,
      Set<NodeName> probedBy,
      Map<NodeName, NodeInfo> answers,
      Duration knownStableFor,
      Duration stableMargin,
      int targetSize) {
    this(self, discovered, probedBy, answers, knownStableFor, stableMargin, targetSize, Set.of());
  }
}
