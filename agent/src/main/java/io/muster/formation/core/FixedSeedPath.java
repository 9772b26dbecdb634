package io.muster.formation.core;

import io.muster.formation.ContactPointRule;
import io.muster.formation.Decision;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.Outcome;
import io.muster.spi.NodeName;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The backend fixes the seed (e.g. the StatefulSet ordinal rule): join it; or, on the seed itself,
 * ask the other nodes the rule names first (formation.md step 5): any formed one means this node's
 * volume is new while the cluster runs on, so it joins that cluster; one rejoining is waited for;
 * otherwise it seeds. The cluster id is derived from the seed, so every node agrees without
 * talking.
 */
final class FixedSeedPath implements DecisionPath {

  private final NodeName seed;
  private final List<NodeName> peers;

  FixedSeedPath(NodeName seed, List<NodeName> peers) {
    this.seed = seed;
    this.peers = List.copyOf(peers);
  }

  @Override
  public void begin(FormationCore core) {
    String clusterId = clusterId();
    if (!seed.equals(core.node().self())) {
      Decision d = core.node().decideJoin(new Outcome.JoinOther(seed, List.of(seed), clusterId));
      core.log()
          .info(
              "Decision: join {}: the backend's rule names it as the seed. Next: the node joins it"
                  + " and keeps retrying while it boots",
              seed);
      core.publish(d);
      core.next();
      return;
    }
    if (peers.isEmpty()) {
      seed(core, "no other node to ask");
      return;
    }
    core.waitingFor("answers from the other nodes the rule names, before seeding");
    core.op(new Effect.Probe(Set.copyOf(peers)));
  }

  @Override
  public void on(FormationCore core, Event answer) {
    if (!(answer instanceof Event.Probed p)) {
      return;
    }
    core.lastAnswers(p.answers());
    Optional<Outcome.JoinOther> formed = ContactPointRule.formedCluster(p.answers(), seed);
    if (formed.isPresent()) {
      Outcome.JoinOther join = formed.get();
      core.log()
          .warn(
              "Decision: join {} (cluster {}): the rule names this node as the seed, but {} of"
                  + " the other nodes answer that they are formed, so this node's data is new"
                  + " (a new volume) and it must not seed beside them. Next: the node joins,"
                  + " then POST /v1/formation/complete",
              join.target(),
              join.clusterId(),
              join.peers().size());
      core.publish(core.node().decideJoin(join));
      core.expectMembers(join.proof());
      core.next();
      return;
    }
    Optional<NodeInfo> rejoining =
        p.answers().values().stream().filter(i -> i.state() == NodeState.REJOINING).findFirst();
    if (rejoining.isPresent()) {
      String reason =
          rejoining.get().node()
              + " is rejoining cluster "
              + rejoining.get().clusterId()
              + "; waiting for it to be back rather than seeding beside it";
      core.waitingFor(reason);
      core.log().info("Not deciding yet: {}", reason);
      core.pause(core.backoff().jittered());
      return;
    }
    seed(
        core,
        p.answers().isEmpty()
            ? "none of the " + peers.size() + " other nodes the rule names answered"
            : "none of the " + p.answers().size() + " nodes that answered is formed");
  }

  private String clusterId() {
    return "seed:" + seed;
  }

  private void seed(FormationCore core, String why) {
    Decision d = core.node().decideSeed(clusterId());
    core.log()
        .info(
            "Decision: seed. The backend's rule names this node ({}) as the seed and {}. Next:"
                + " start the node alone, then POST /v1/formation/complete",
            seed,
            why);
    core.publish(d);
    core.next();
  }
}
