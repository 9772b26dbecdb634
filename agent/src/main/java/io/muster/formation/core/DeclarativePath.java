package io.muster.formation.core;

import io.muster.declarative.ClusterSpec;
import io.muster.declarative.DeclarativeRules;
import io.muster.declarative.DeclarativeRules.Fresh;
import io.muster.declarative.DeclarativeRules.Join;
import io.muster.declarative.DeclarativeRules.Known;
import io.muster.declarative.DeclarativeRules.Member;
import io.muster.declarative.DeclarativeRules.Seed;
import io.muster.declarative.DeclarativeRules.Step;
import io.muster.declarative.DeclarativeRules.Wait;
import io.muster.declarative.DeclaredConfig;
import io.muster.formation.Membership;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.Outcome;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * formation.md "Declarative mode": ask the agent of every node the config in force lists, and apply
 * {@link DeclarativeRules}. Only the gospel node (or, with gospel {@code reset}, the lowest-named)
 * ever seeds, and only once every listed node answers fresh, so there is no race to seed; every
 * other node joins a running member of the gospel's cluster. Anything else is a wait, for as long
 * as it takes (no retry limit: the Clusterer never acts unsafely to get on), in rounds logged when
 * what is awaited changes and every {@value #LOG_EVERY} rounds.
 *
 * <p>A node with a membership record never comes here: it rejoins its cluster first (a restart in
 * any order comes back as one cluster). So this agent is fresh, and so is every peer that answers
 * booting and knows of no cluster (one told to join a cluster, or that saw one formed, is not: its
 * node may hold that cluster's data already).
 */
final class DeclarativePath implements DecisionPath {

  static final int LOG_EVERY = 20;

  private final DeclaredConfig config;
  private String lastReason;
  private long rounds;

  /** The config the round in flight was asked for (its version and digest). */
  private ClusterSpec asked;

  DeclarativePath(DeclaredConfig config) {
    this.config = config;
  }

  @Override
  public void reset() {
    lastReason = null;
    rounds = 0;
  }

  @Override
  public void begin(FormationCore core) {
    ClusterSpec spec = config.inForce();
    asked = spec;
    Set<NodeName> others = new TreeSet<>(spec.names());
    others.remove(core.node().self());
    if (others.isEmpty()) {
      decide(core, spec, Map.of());
      return;
    }
    core.waitingFor("answers from the agents of " + others);
    core.op(new Effect.Probe(others));
  }

  @Override
  public void on(FormationCore core, Event answer) {
    if (answer instanceof Event.Probed p) {
      core.lastAnswers(p.answers());
      ClusterSpec spec = config.inForce();
      if (asked == null || spec.version() != asked.version()) {
        // a younger config arrived while the round was out: decide on it, with fresh answers
        begin(core);
        return;
      }
      decide(core, spec, p.answers());
    }
  }

  private void decide(FormationCore core, ClusterSpec spec, Map<NodeName, NodeInfo> answers) {
    NodeName self = core.node().self();
    Map<NodeName, Known> known = known(spec, self, core.held(), answers);
    Step step = DeclarativeRules.decide(spec, self, known);
    if (step instanceof Seed) {
      core.log()
          .info(
              "Decision: seed. Cluster config version {} ({}): every listed node answers fresh and"
                  + " no cluster holds the gospel's data, so this node starts the cluster. Next:"
                  + " start the node alone, then POST /v1/formation/complete",
              spec.version(),
              spec.gospel());
      core.publish(core.node().decideSeed(core.newClusterId()));
      core.next();
      return;
    }
    if (step instanceof DeclarativeRules.Stay && core.held() != null) {
      core.rejoinHeld(
          "cluster config version "
              + spec.version()
              + ": the gospel's cluster is this node's own; its record's member list was out of"
              + " date");
      return;
    }
    if (step instanceof DeclarativeRules.Reset r && core.held() != null) {
      if (!config.resetsNode()) {
        wait(core, spec, operatorReset(core.held(), r.why()));
        return;
      }
      core.resetHeld(r.why());
      decide(core, spec, answers); // fresh now: wait for the others to reset, or seed, or join
      return;
    }
    if (step instanceof Join j && j.resetFirst() && core.held() != null) {
      if (!config.resetsNode()) {
        wait(
            core,
            spec,
            "an operator: this node holds the data of cluster "
                + core.held().clusterId()
                + ", not the gospel's, and must be reset to join "
                + j.via()
                + HOW_TO_RESET);
        return;
      }
      String held = core.held().clusterId();
      core.resetHeld(
          "cluster config version "
              + spec.version()
              + ": its data is cluster "
              + held
              + "'s, not the gospel's; it joins "
              + j.via());
      join(core, spec, answers, j);
      return;
    }
    if (step instanceof Join j && !j.resetFirst()) {
      join(core, spec, answers, j);
      return;
    }
    String reason =
        step instanceof Wait w
            ? w.forWhat()
            : "a decision the rules did not explain (" + step + ")"; // not reached: see above
    wait(core, spec, reason + onOtherConfigs(spec, answers));
  }

  /** How a node's data gets reset where this agent cannot do it, said after each such wait. */
  private static final String HOW_TO_RESET =
      " (run it under muster exec with muster.node.reset_command or muster.node.data_dir, or stop"
          + " it, reset its data and remove the membership record)";

  /** What an operator must do when the node is to be reset and this agent cannot do it. */
  static String operatorReset(Membership held, String why) {
    return "an operator: "
        + why
        + "; this node holds the data of cluster "
        + held.clusterId()
        + " and this agent cannot reset it"
        + HOW_TO_RESET;
  }

  /**
   * Whether {@code i}'s agent runs the very config {@code spec} (whose digest is {@code digest}).
   */
  private static boolean runs(ClusterSpec spec, String digest, NodeInfo i) {
    return i.specVersion() == spec.version() && digest.equals(i.specDigest());
  }

  /** The listed nodes whose agents answered by another config: counted as unknown, said so. */
  private static String onOtherConfigs(ClusterSpec spec, Map<NodeName, NodeInfo> answers) {
    String digest = spec.digest();
    List<String> other = new ArrayList<>();
    for (NodeInfo i : answers.values()) {
      if (spec.nodes().containsKey(i.node()) && !runs(spec, digest, i)) {
        other.add(
            i.node()
                + (i.specVersion() == spec.version()
                    ? " (version " + i.specVersion() + " with other content)"
                    : " (version " + i.specVersion() + ")"));
      }
    }
    return other.isEmpty()
        ? ""
        : " (answered by another cluster config, so not counted yet: "
            + String.join(", ", other)
            + ")";
  }

  private static void join(
      FormationCore core, ClusterSpec spec, Map<NodeName, NodeInfo> answers, Join j) {
    NodeInfo via = answers.get(j.via());
    List<NodeName> peers = new ArrayList<>(List.of(j.via()));
    Set<NodeName> proof = new TreeSet<>();
    for (NodeInfo i : answers.values()) {
      if (via.clusterId().equals(i.clusterId()) && running(i)) {
        proof.add(i.node());
        if (!peers.contains(i.node())) {
          peers.add(i.node());
        }
      }
    }
    core.log()
        .info(
            "Decision: join {} (cluster {}): cluster config version {} ({}) and {} runs it."
                + " Next: the node joins, then POST /v1/formation/complete",
            j.via(),
            via.clusterId(),
            spec.version(),
            spec.gospel(),
            j.via());
    core.publish(
        core.node().decideJoin(new Outcome.JoinOther(j.via(), peers, via.clusterId(), proof)));
    core.expectMembers(proof);
    core.next();
  }

  private void wait(FormationCore core, ClusterSpec spec, String reason) {
    rounds++;
    String what = "cluster config version " + spec.version() + ": waiting for " + reason;
    core.waitingFor(what);
    if (!what.equals(lastReason) || rounds % LOG_EVERY == 0) {
      core.log()
          .info(
              "Not deciding yet ({}, round {}); asking again, for as long as it takes, logged"
                  + " when this changes and every {} rounds",
              what,
              rounds,
              LOG_EVERY);
      lastReason = what;
    }
    Duration delay =
        rounds <= LOG_EVERY ? core.backoff().jittered() : core.backoff().afterFailure(4);
    core.pause(delay);
  }

  /**
   * What the rules know of each listed node: this agent is fresh, or holds its record's cluster; a
   * peer counts only while it runs the very config this agent runs (same version and digest), else
   * it is unknown: two agents of two configs could otherwise each seed by their own.
   */
  static Map<NodeName, Known> known(
      ClusterSpec spec, NodeName self, Membership held, Map<NodeName, NodeInfo> answers) {
    Map<NodeName, Known> known = new HashMap<>();
    known.put(
        self,
        held == null
            ? new Fresh(spec.version())
            : new Member(held.clusterId(), held.members(), false, held.configVersion()));
    String digest = spec.digest();
    for (NodeInfo i : answers.values()) {
      if (!spec.nodes().containsKey(i.node()) || i.node().equals(self)) {
        continue;
      }
      if (!runs(spec, digest, i)) {
        // it decides by another config (older, younger, conflicting, or none): nothing it says
        // counts until both run the same one, which spreading brings about (or refuses loudly)
        continue;
      }
      if (i.state() != NodeState.BOOTING) {
        known.put(i.node(), new Member(i.clusterId(), members(i), running(i), i.specFormedAt()));
      } else if (!i.knowsOf().isEmpty()) {
        // told to join a cluster (its node may be in it already), or saw one formed: not fresh,
        // and nothing to join through (formation.md invariant 10, as on the lockless path)
        known.put(
            i.node(), new Member(i.knowsOf().iterator().next(), Set.of(), false, i.specFormedAt()));
      } else {
        known.put(i.node(), new Fresh(spec.version()));
      }
    }
    return known;
  }

  /** A seed lists itself; a formed member lists whom it knows. */
  private static Set<NodeName> members(NodeInfo i) {
    Set<NodeName> m = new TreeSet<>(i.members());
    m.add(i.node());
    return m;
  }

  /** A seed's node is starting the cluster, a formed one runs it; a rejoining one does not yet. */
  private static boolean running(NodeInfo i) {
    return i.state() == NodeState.FORMED || i.state() == NodeState.FORMING;
  }
}
