package io.muster.cleanup;

import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * formation.md invariant 6 as pure functions: which members may be removed in one pass. Never the
 * local node; never on a stale, failed or empty discovery; only a member absent from every fresh
 * discovery for longer than {@code absent_for} and over several reads; nothing when the members the
 * backend does not know exceed a fraction of the cluster (a partial answer, not departures); only
 * by the cluster's one remover (its lowest-named live member); at most {@code max_removals}.
 */
public final class CleanupRule {

  /** Reads in a row that must miss a member before it may be removed. */
  public static final int MIN_ABSENT_READS = 3;

  private CleanupRule() {}

  /** What one pass found: the members the backend no longer knows, and those to remove now. */
  public record Pass(List<NodeName> candidates, List<NodeName> toRemove, String skipped) {}

  /** Since when, and over how many fresh reads in a row, a member has been missing. */
  public record Absence(Instant since, int reads) {}

  /** The limits of one pass. */
  public record Policy(boolean onlyLog, int maxRemovals, int maxPercent, Duration absentFor) {}

  /**
   * The absences after one more fresh read at {@code now}: members missing from {@code discovered}
   * count one more read (from {@code now} when new), members seen again are forgotten.
   */
  public static Map<NodeName, Absence> observe(
      Map<NodeName, Absence> before, Set<NodeName> members, Set<NodeName> discovered, Instant now) {
    Map<NodeName, Absence> after = new HashMap<>();
    for (NodeName m : members) {
      if (discovered.contains(m)) {
        continue;
      }
      Absence a = before.get(m);
      after.put(m, a == null ? new Absence(now, 1) : new Absence(a.since(), a.reads() + 1));
    }
    return after;
  }

  public static Pass decide(
      Set<NodeName> members,
      Set<NodeName> discovered,
      boolean discoveryFresh,
      NodeName self,
      Map<NodeName, Absence> absences,
      Instant now,
      Policy policy) {
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
    if (candidates.isEmpty()) {
      return new Pass(candidates, List.of(), null);
    }
    if ((long) candidates.size() * 100 > (long) policy.maxPercent() * members.size()) {
      return new Pass(
          candidates,
          List.of(),
          candidates.size()
              + " of "
              + members.size()
              + " members are missing from the backend's answer, more than"
              + " muster.cleanup.max_percent = "
              + policy.maxPercent()
              + ": taken for a partial answer, nothing removed");
    }
    TreeSet<NodeName> live = new TreeSet<>(members);
    live.retainAll(discovered);
    live.add(self);
    NodeName remover = live.first();
    if (!remover.equals(self)) {
      return new Pass(
          candidates,
          List.of(),
          remover + " (the lowest-named live member) is the cluster's remover");
    }
    if (policy.onlyLog()) {
      return new Pass(candidates, List.of(), null);
    }
    List<NodeName> ripe =
        candidates.stream()
            .filter(
                n -> {
                  Absence a = absences.get(n);
                  return a != null
                      && a.reads() >= MIN_ABSENT_READS
                      && !a.since().plus(policy.absentFor()).isAfter(now);
                })
            .limit(policy.maxRemovals())
            .toList();
    return new Pass(
        candidates,
        ripe,
        ripe.isEmpty()
            ? "no candidate has been missing for muster.cleanup.absent_for ("
                + policy.absentFor().toMillis()
                + " ms) over "
                + MIN_ABSENT_READS
                + " reads yet"
            : null);
  }
}
