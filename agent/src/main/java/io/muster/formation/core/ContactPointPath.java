package io.muster.formation.core;

import io.muster.formation.ContactPointRule;
import io.muster.formation.Decision;
import io.muster.formation.Outcome;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * formation.md's lockless path: discover, ask every known peer's agent over the peer port, and
 * apply the contact-point rule; keep probing until it says seed or join, or retries run out.
 */
final class ContactPointPath implements DecisionPath {

  private int failures;
  private Instant roundIssuedAt;

  /** A probe round to this agent's probers is out, discovery having never worked. */
  private boolean askingProbers;

  @Override
  public void reset() {
    failures = 0;
    askingProbers = false;
  }

  @Override
  public void begin(FormationCore core) {
    core.op(new Effect.Discover());
  }

  @Override
  public void on(FormationCore core, Event answer) {
    if (answer instanceof Event.Discovered d) {
      discovered(core, d);
    } else if (answer instanceof Event.Probed p) {
      probed(core, p);
    }
  }

  private void discovered(FormationCore core, Event.Discovered d) {
    if (!core.discovered(notYet(core, d.result()))) {
      failures++;
      if (!core.view().everSucceeded()) {
        Set<NodeName> probers = core.node().probedByView();
        if (!probers.isEmpty() && !askingProbers) {
          // Discovery has never worked, but agents that probed this one are contact points too:
          // a formed one is a cluster to join (never a reason to seed without a discovery).
          askingProbers = true;
          roundIssuedAt = core.now();
          core.op(new Effect.Probe(probers));
          return;
        }
        askingProbers = false;
        retryDiscovery(core);
        return;
      }
    } else {
      failures = 0;
    }
    probe(core);
  }

  /**
   * formation.md invariant 8: an answer that is empty, or does not list this node, is not a
   * discovery yet (DNS that does not have this node's record yet, a Service whose endpoints lag):
   * deciding on it could seed a cluster of one.
   */
  private static DiscoveryResult notYet(FormationCore core, DiscoveryResult result) {
    if (result instanceof DiscoveryResult.Peers p
        && (p.nodes().isEmpty() || !p.nodes().contains(core.node().self()))) {
      return new DiscoveryResult.Failure(
          DiscoveryResult.Kind.OTHER,
          p.nodes().isEmpty()
              ? "the backend lists no nodes yet"
              : "the backend does not list this node ("
                  + core.node().self()
                  + ") yet, only "
                  + p.nodes().size()
                  + " others");
    }
    return result;
  }

  private void probe(FormationCore core) {
    roundIssuedAt = core.now();
    core.op(new Effect.Probe(core.node().probeTargets(core.lastAnswers(), core.now())));
  }

  /** The agents that probed this one, asked while discovery has never worked. */
  private void probersAnswered(FormationCore core, Event.Probed p) {
    core.lastAnswers(p.answers());
    core.node().learn(p.answers().values());
    Optional<Outcome.JoinOther> formed =
        ContactPointRule.formedCluster(p.answers(), core.node().self());
    if (formed.isPresent()) {
      Outcome.JoinOther join = formed.get();
      core.log()
          .info(
              "Decision: join {} (cluster {}): discovery has not worked yet, but agents that probed"
                  + " this one answer formed. Next: the node joins, then POST"
                  + " /v1/formation/complete",
              join.target(),
              join.clusterId());
      core.publish(core.node().decideJoin(join));
      core.expectMembers(join.proof());
      core.next();
      return;
    }
    // nothing formed among them: no decision without a discovery; back to retrying it
    retryDiscovery(core);
  }

  /** Discovery has never worked: count the attempt and pause before the next one. */
  private void retryDiscovery(FormationCore core) {
    Duration delay = core.backoff().afterFailure(failures);
    core.waitingFor("discovery: " + core.view().lastError());
    if (core.spendAttempt("Discovery failed (" + core.view().lastError() + ")", delay)) {
      seedAlone(core);
      return;
    }
    core.pause(delay);
  }

  private void probed(FormationCore core, Event.Probed p) {
    if (askingProbers) {
      askingProbers = false;
      probersAnswered(core, p);
      return;
    }
    Duration age =
        roundIssuedAt == null ? Duration.ZERO : Duration.between(roundIssuedAt, core.now());
    if (age.compareTo(core.tuning().probeRoundBound()) > 0) {
      // Answers gathered before a pause are not evidence now: a peer may have forgotten this
      // agent as a silent prober meanwhile and decided. Ask again.
      core.log()
          .info(
              "Probe answers are {} ms old (more than {} ms: paused or slow); asking again",
              age.toMillis(),
              core.tuning().probeRoundBound().toMillis());
      probe(core);
      return;
    }
    core.lastAnswers(p.answers());
    Outcome outcome =
        core.node()
            .decideLockless(
                p.answers(),
                core.tuning().stableMargin(),
                core.tuning().targetClusterSize(),
                core.now(),
                core.newClusterId());
    if (outcome instanceof Outcome.SeedSelf) {
      Decision d = core.node().decision();
      core.log()
          .info(
              "Decision: seed. All {} known nodes answered and {} has the lowest name; this node"
                  + " forms cluster {}. Next: start the node alone, then POST"
                  + " /v1/formation/complete",
              p.answers().size() + 1,
              core.node().self(),
              d.clusterId());
      core.publish(d);
      core.next();
      return;
    }
    if (outcome instanceof Outcome.JoinOther join) {
      core.log()
          .info(
              "Decision: join {} (cluster {}), trying {} in order. Next: the node joins and keeps"
                  + " retrying while the seed boots, then POST /v1/formation/complete",
              join.target(),
              join.clusterId(),
              join.peers());
      core.publish(core.node().decision());
      core.expectMembers(join.proof());
      core.next();
      return;
    }
    String reason = ((Outcome.KeepProbing) outcome).reason();
    core.waitingFor(reason);
    Duration delay = core.waitBeforeAskingAgain();
    if (core.spendAttempt("Not deciding yet: " + reason, delay)) {
      seedAlone(core);
      return;
    }
    core.pause(delay);
  }

  private static void seedAlone(FormationCore core) {
    core.publish(core.node().decideSeed(core.newClusterId()));
    core.next();
  }
}
