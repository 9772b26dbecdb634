package io.muster.formation.core;

import io.muster.formation.Decision;
import io.muster.formation.Outcome;
import io.muster.spi.NodeName;
import java.util.List;

/**
 * The backend fixes the seed (e.g. the StatefulSet ordinal rule): seed if it is this node, else
 * join it. The cluster id is derived from the seed, so every node agrees without talking.
 */
final class FixedSeedPath implements DecisionPath {

  private final NodeName seed;

  FixedSeedPath(NodeName seed) {
    this.seed = seed;
  }

  @Override
  public void begin(FormationCore core) {
    String clusterId = "seed:" + seed;
    Decision d;
    if (seed.equals(core.node().self())) {
      d = core.node().decideSeed(clusterId);
      core.log()
          .info(
              "Decision: seed. The backend's rule names this node ({}) as the seed; no discovery"
                  + " needed. Next: start the node alone, then POST /v1/formation/complete",
              seed);
    } else {
      d = core.node().decideJoin(new Outcome.JoinOther(seed, List.of(seed), clusterId));
      core.log()
          .info(
              "Decision: join {}: the backend's rule names it as the seed. Next: the node joins it"
                  + " and keeps retrying while it boots",
              seed);
    }
    core.publish(d);
    core.next();
  }

  @Override
  public void on(FormationCore core, Event answer) {
    // Asks for nothing.
  }
}
