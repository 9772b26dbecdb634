package io.muster.formation;

import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The decision taken under the formation lock (formation.md, lock backends), as a pure function of
 * the cluster's marker and the live registrations (oldest first).
 */
public final class LockRule {

  private LockRule() {}

  /** As {@link #decide(Marker, List, Map, NodeName)} with no registration claiming a cluster. */
  public static Outcome decide(Marker marker, List<NodeName> liveOldestFirst, NodeName self) {
    return decide(marker, liveOldestFirst, Map.of(), self);
  }

  /**
   * @param liveOldestFirst the live registrations, oldest first
   * @param members the cluster id each live registration claims (members that completed)
   */
  public static Outcome decide(
      Marker marker, List<NodeName> liveOldestFirst, Map<NodeName, String> members, NodeName self) {
    if (marker instanceof Marker.None) {
      // No marker, but live members claim a cluster: it formed and the store lost its marker
      // (wiped, restored): join it, never seed beside it (formation.md step 5).
      Map<String, List<NodeName>> claims = new LinkedHashMap<>();
      for (NodeName n : liveOldestFirst) {
        String id = members.get(n);
        if (id != null && !n.equals(self)) {
          claims.computeIfAbsent(id, k -> new ArrayList<>()).add(n);
        }
      }
      if (!claims.isEmpty()) {
        // the cluster with the most live members; on a tie, the one registered first
        Map.Entry<String, List<NodeName>> best = null;
        for (Map.Entry<String, List<NodeName>> e : claims.entrySet()) {
          if (best == null || e.getValue().size() > best.getValue().size()) {
            best = e;
          }
        }
        List<NodeName> claimants = best.getValue();
        return new Outcome.JoinOther(claimants.get(0), List.copyOf(claimants), best.getKey());
      }
      return new Outcome.SeedSelf();
    }
    if (marker instanceof Marker.Forming forming) {
      if (forming.seed().equals(self)) {
        // Our own marker survived an abort that could not clear it: we are still the seed.
        return new Outcome.SeedSelf();
      }
      Set<NodeName> order = new LinkedHashSet<>();
      order.add(forming.seed());
      order.addAll(liveOldestFirst);
      order.remove(self);
      // a cluster still forming: the joiner's node must list the seed itself as proof (nodes
      // that joined a withdrawn seed's node list others)
      return new Outcome.JoinOther(
          forming.seed(), new ArrayList<>(order), forming.clusterId(), Set.of(forming.seed()));
    }
    Marker.Formed formed = (Marker.Formed) marker;
    // Only registrations that claim this cluster are its members: a live registration of a node
    // that never completed (a blank joiner) is no one to join.
    List<NodeName> live = new ArrayList<>();
    for (NodeName n : liveOldestFirst) {
      if (!n.equals(self) && formed.clusterId().equals(members.get(n))) {
        live.add(n);
      }
    }
    if (live.isEmpty()) {
      int others = (int) liveOldestFirst.stream().filter(n -> !n.equals(self)).count();
      return new Outcome.KeepProbing(
          "cluster "
              + formed.clusterId()
              + " formed (seed "
              + formed.seed()
              + ") but no member is registered now"
              + (others > 0
                  ? " (" + others + " live registration(s) of nodes that are not its members)"
                  : "")
              + "; never seeding it again");
    }
    // The seed of the formed cluster is known to be up, while other registered members may still
    // be joining themselves: it goes first when it is live, then the others, oldest first.
    if (live.remove(formed.seed())) {
      live.add(0, formed.seed());
    }
    return new Outcome.JoinOther(live.get(0), live, formed.clusterId());
  }
}
