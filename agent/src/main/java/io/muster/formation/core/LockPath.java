package io.muster.formation.core;

import io.muster.formation.Decision;
import io.muster.formation.LockRule;
import io.muster.formation.Outcome;
import io.muster.spi.Marker;
import java.time.Duration;
import java.util.Locale;

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
    RELEASE
  }

  private Step step = Step.DISCOVER;
  private int failures;
  private String state;
  private Marker marker;
  private String formingId;
  private Outcome outcome;

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
          core.discovered(d.result());
          decideUnderLock(core);
        }
      }
      case WRITE_FORMING -> {
        if (answer instanceof Event.FormingWritten) {
          core.node().decideSeed(formingId);
          core.log()
              .info(
                  "Decision: seed. {}; wrote 'forming' for cluster {} under this agent's lease."
                      + " Next: release the lock, start the node alone, then POST"
                      + " /v1/formation/complete",
                  marker instanceof Marker.Forming
                      ? "This agent's own forming marker was still there"
                      : "No cluster marker existed",
                  formingId);
          release(core);
        } else if (answer instanceof Event.StoreFailed f) {
          failedUnderLock(core, f.error());
        }
      }
      case RELEASE -> {
        if (answer instanceof Event.LockReleased r) {
          released(core, r);
        }
      }
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
    outcome = LockRule.decide(marker, core.view().backendOrder(), core.node().self());
    if (outcome instanceof Outcome.SeedSelf) {
      formingId = marker instanceof Marker.Forming f ? f.clusterId() : core.newClusterId();
      step = Step.WRITE_FORMING;
      core.op(new Effect.WriteForming(new Marker.Forming(core.node().self(), formingId)));
      return;
    }
    if (outcome instanceof Outcome.JoinOther join) {
      core.node().decideJoin(join);
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

  private void failedUnderLock(FormationCore core, String error) {
    failures++;
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
      Duration delay = core.backoff().jittered();
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
