package io.muster.formation.core;

import io.muster.formation.Decision;
import io.muster.formation.LockRule;
import io.muster.formation.Outcome;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * formation.md's lock path: discover, take the backend's formation lock, decide from the cluster
 * marker and the live registrations ({@link LockRule}), write {@code forming} when seeding, and
 * release the lock at once, so that nodes still boot in parallel.
 */
final class LockPath implements DecisionPath {

  private enum Step {
    DISCOVER,
    ACQUIRE,
    READ_MARKER,
    REFRESH_UNDER_LOCK,
    WRITE_FORMING,
    CONFIRM,
    RELEASE
  }

  private Step step = Step.DISCOVER;
  private int failures;
  private String state;
  private Marker marker;
  private String formingId;
  private Outcome outcome;

  /** Store operations under the lock that failed in a row (reset by a decision taken). */
  private int storeFailures;

  /** The cluster id each live registration claimed in the latest successful discovery. */
  private Map<NodeName, String> members = Map.of();

  @Override
  public String lockState() {
    return state;
  }

  @Override
  public void reset() {
    failures = 0;
  }

  @Override
  public void begin(FormationCore core) {
    step = Step.DISCOVER;
    core.op(new Effect.Discover());
  }

  @Override
  public void on(FormationCore core, Event answer) {
    switch (step) {
      case DISCOVER -> {
        if (answer instanceof Event.Discovered d) {
          remember(d);
          discovered(core, d);
        }
      }
      case ACQUIRE -> acquired(core, answer);
      case READ_MARKER -> {
        if (answer instanceof Event.MarkerRead m) {
          marker = m.marker();
          step = Step.REFRESH_UNDER_LOCK;
          core.op(new Effect.Discover());
        } else if (answer instanceof Event.StoreFailed f) {
          failedUnderLock(core, f.error());
        }
      }
      case REFRESH_UNDER_LOCK -> {
        if (answer instanceof Event.Discovered d) {
          remember(d);
          core.discovered(d.result());
          decideUnderLock(core);
        }
      }
      case WRITE_FORMING -> {
        if (answer instanceof Event.FormingWritten) {
          // the claim must be proven before the node acts on it (formation.md invariant 9)
          step = Step.CONFIRM;
          core.confirmSent();
          core.op(new Effect.ConfirmClaim(new Marker.Forming(core.node().self(), formingId)));
        } else if (answer instanceof Event.StoreFailed f) {
          failedUnderLock(core, f.error());
        }
      }
      case CONFIRM -> {
        if (answer instanceof Event.ClaimChecked || answer instanceof Event.ClaimCheckFailed) {
          confirmed(core, answer);
        }
      }
      case RELEASE -> {
        if (answer instanceof Event.LockReleased r) {
          released(core, r);
        }
      }
    }
  }

  private void remember(Event.Discovered d) {
    if (d.result() instanceof DiscoveryResult.Peers p) {
      members = p.members();
    }
  }

  private void discovered(FormationCore core, Event.Discovered d) {
    if (!core.discovered(d.result()) && !core.view().everSucceeded()) {
      failures++;
      Duration delay = core.backoff().afterFailure(failures);
      core.waitingFor("discovery: " + core.view().lastError());
      core.spendAttempt("Discovery failed (" + core.view().lastError() + ")", delay);
      core.pause(delay);
      return;
    }
    core.waitingFor("the formation lock");
    state = "waiting since " + core.now();
    core.log().info("Acquiring the formation lock (waits at most the backend's lock_timeout)");
    step = Step.ACQUIRE;
    core.op(new Effect.AcquireLock());
  }

  private void acquired(FormationCore core, Event answer) {
    if (answer instanceof Event.LockUnknown u) {
      failures++;
      Duration delay = core.backoff().afterFailure(failures);
      core.waitingFor("lock state unknown: " + u.error());
      state = "unknown at " + core.now() + ": " + u.error();
      core.spendAttempt("Formation lock state unknown (" + u.error() + ")", delay);
      core.pause(delay);
    } else if (answer instanceof Event.LockNotAcquired not) {
      Duration delay = core.backoff().jittered();
      core.waitingFor("formation lock not acquired: " + not.reason());
      state = "not acquired at " + core.now() + ": " + not.reason();
      core.spendAttempt("Formation lock not acquired (" + not.reason() + ")", delay);
      core.pause(delay);
    } else if (answer instanceof Event.LockAcquired) {
      state = "held by this agent since " + core.now();
      outcome = null;
      step = Step.READ_MARKER;
      core.op(new Effect.ReadMarker());
    }
  }

  private void decideUnderLock(FormationCore core) {
    storeFailures = 0;
    outcome = LockRule.decide(marker, core.view().backendOrder(), members, core.node().self());
    if (outcome instanceof Outcome.SeedSelf) {
      // Always a new cluster id, even over this agent's own forming marker left by an abort or a
      // withdrawal: nodes that joined the node it stopped must see that it is another cluster.
      formingId = core.newClusterId();
      step = Step.WRITE_FORMING;
      core.op(new Effect.WriteForming(new Marker.Forming(core.node().self(), formingId)));
      return;
    }
    if (outcome instanceof Outcome.JoinOther join) {
      core.node().decideJoin(join);
      core.expectMembers(join.proof()); // the rule says what proves the join, as lockless paths
      if (marker instanceof Marker.None) {
        core.log()
            .warn(
                "The store has no formation marker, but live members claim cluster {}: it formed"
                    + " and the store lost its marker (wiped or restored?). Joining it, never"
                    + " seeding beside it; its members write the marker back",
                join.clusterId());
      }
      core.log()
          .info(
              "Decision: join {} (marker {}), trying {} in order. Next: release the lock; the node"
                  + " joins and keeps retrying while the seed boots",
              join.target(),
              marker.getClass().getSimpleName().toLowerCase(Locale.ROOT),
              join.peers());
    }
    release(core);
  }

  private void confirmed(FormationCore core, Event answer) {
    core.node().decideSeed(formingId);
    if (!core.claimConfirmed(answer)) {
      core.node().abort();
      failedUnderLock(
          core,
          "the forming claim just written could not be proven ("
              + (answer instanceof Event.ClaimCheckFailed f
                  ? f.error()
                  : "the store holds "
                      + FormationCore.describe(((Event.ClaimChecked) answer).state().current()))
              + ")");
      return;
    }
    core.log()
        .info(
            "Decision: seed. {}; wrote 'forming' for cluster {} under this agent's lease, proven"
                + " for {} ms. Next: release the lock, start the node alone, then POST"
                + " /v1/formation/complete",
            marker instanceof Marker.Forming
                ? "This agent's own forming marker was still there"
                : "No cluster marker existed",
            formingId,
            core.claimMillisLeft());
    release(core);
  }

  private void failedUnderLock(FormationCore core, String error) {
    failures++;
    storeFailures++;
    outcome = new Outcome.KeepProbing("backend failed under the lock: " + error);
    release(core);
  }

  private void release(FormationCore core) {
    step = Step.RELEASE;
    core.op(new Effect.ReleaseLock());
  }

  private void released(FormationCore core, Event.LockReleased r) {
    if (r.error().isPresent()) {
      core.log()
          .warn(
              "Could not release the formation lock ({}); the backend releases it when its lease"
                  + " expires",
              r.error().get());
    } else {
      state = "released at " + core.now();
      core.log().info("Released the formation lock");
    }
    step = Step.DISCOVER;
    if (outcome instanceof Outcome.KeepProbing wait) {
      core.waitingFor(wait.reason());
      // waiting for a peer is brief; a store that keeps failing (a marker nobody can read stays
      // unreadable until an operator acts) is asked less and less often, up to the cap
      Duration delay =
          storeFailures > 0
              ? core.backoff().afterFailure(storeFailures)
              : core.backoff().jittered();
      core.spendAttempt("Not deciding yet: " + wait.reason(), delay);
      core.pause(delay);
      return;
    }
    Decision d = core.node().decision();
    if (d != null) {
      core.publish(d);
    }
    core.next();
  }
}
