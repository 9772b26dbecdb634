package io.muster.formation;

import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The decision taken under the formation lock (formation.md, lock backends), as a pure function of
 * the cluster's marker and the live registrations (oldest first).
 */
public final class LockRule {

  private LockRule() {}

  public static Outcome decide(Marker marker, List<NodeName> liveOldestFirst, NodeName self) {
    if (marker instanceof Marker.None) {
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
      return new Outcome.JoinOther(forming.seed(), new ArrayList<>(order), forming.clusterId());
    }
    Marker.Formed formed = (Marker.Formed) marker;
    List<NodeName> live = new ArrayList<>(liveOldestFirst);
    live.remove(self);
    if (live.isEmpty()) {
      return new Outcome.KeepProbing(
          "cluster "
              + formed.clusterId()
              + " formed (seed "
              + formed.seed()
              + ") but no member is registered now; never seeding it again");
    }
    // The seed of the formed cluster is known to be up, while other registered members may still
    // be joining themselves: it goes first when it is live, then the others, oldest first.
    if (live.remove(formed.seed())) {
      live.add(0, formed.seed());
    }
    return new Outcome.JoinOther(live.get(0), live, formed.clusterId());
  }
}
