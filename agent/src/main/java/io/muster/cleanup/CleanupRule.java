package io.muster.cleanup;

import io.muster.spi.NodeName;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * formation.md invariant 6 as a pure function: which members may be acted on in one pass. Never the
 * local node, never on a stale or failed discovery, never more than {@code maxRemovals}.
 */
public final class CleanupRule {

  private CleanupRule() {}

  /** What one pass found: the members the backend no longer knows, and those to remove now. */
  public record Pass(List<NodeName> candidates, List<NodeName> toRemove, String skipped) {}

  public static Pass decide(
      Set<NodeName> members,
      Set<NodeName> discovered,
      boolean discoveryFresh,
      NodeName self,
      boolean onlyLog,
      int maxRemovals) {
    if (!discoveryFresh) {
      return new Pass(List.of(), List.of(), "the last discovery failed or is stale");
    }
    if (discovered.isEmpty()) {
      return new Pass(List.of(), List.of(), "the backend reports no nodes");
    }
    TreeSet<NodeName> unknown = new TreeSet<>(members);
    unknown.removeAll(discovered);
    unknown.remove(self);
    List<NodeName> candidates = List.copyOf(unknown);
    List<NodeName> remove =
        onlyLog ? List.of() : candidates.subList(0, Math.min(maxRemovals, candidates.size()));
    return new Pass(candidates, List.copyOf(remove), null);
  }
}
