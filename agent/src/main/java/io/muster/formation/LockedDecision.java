package io.muster.formation;

import io.muster.config.CoreSettings;
import io.muster.retry.Backoff;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * formation.md's lock path: discover, take the backend's formation lock, decide from the cluster
 * marker and the live registrations ({@link LockRule}), write {@code forming} when seeding, and
 * release the lock at once, so that nodes still boot in parallel.
 */
final class LockedDecision {

  private static final Logger LOG = LoggerFactory.getLogger(LockedDecision.class);

  private final FormationEngine engine;
  private final CoreSettings settings;
  private final LocalNode local;
  private final PeerView view;
  private final Backoff backoff;
  private final Clock clock;
  private volatile String state;

  LockedDecision(
      FormationEngine engine,
      CoreSettings settings,
      LocalNode local,
      PeerView view,
      Backoff backoff,
      Clock clock) {
    this.engine = engine;
    this.settings = settings;
    this.local = local;
    this.view = view;
    this.backoff = backoff;
    this.clock = clock;
  }

  /** The lock as this agent last saw it, for {@code /v1/status}; null before the first attempt. */
  String state() {
    return state;
  }

  /** Loops until decided (or stopping: null); each attempt is counted and logged. */
  Decision decide(FormationLock lock) {
    int failures = 0;
    while (!engine.pacer().stopping() && local.decision() == null) {
      if (!engine.refreshDiscovery() && !view.snapshot().everSucceeded()) {
        failures++;
        Duration delay = backoff.afterFailure(failures);
        engine.waitingFor("discovery: " + view.snapshot().lastError());
        engine.spendAttempt("Discovery failed (" + view.snapshot().lastError() + ")", delay);
        engine.pacer().pause(delay);
        continue;
      }
      engine.waitingFor("the formation lock");
      state = "waiting since " + clock.instant();
      LOG.info("Acquiring the formation lock (waits at most the backend's lock_timeout)");
      FormationLock.LockOutcome outcome;
      try {
        outcome = Pacer.await(lock.acquire(), null);
      } catch (Pacer.BackendException e) {
        failures++;
        Duration delay = backoff.afterFailure(failures);
        engine.waitingFor("lock state unknown: " + e.getMessage());
        state = "unknown at " + clock.instant() + ": " + e.getMessage();
        engine.spendAttempt("Formation lock state unknown (" + e.getMessage() + ")", delay);
        engine.pacer().pause(delay);
        continue;
      }
      if (outcome instanceof FormationLock.LockOutcome.NotAcquired not) {
        Duration delay = backoff.jittered();
        engine.waitingFor("formation lock not acquired: " + not.reason());
        state = "not acquired at " + clock.instant() + ": " + not.reason();
        engine.spendAttempt("Formation lock not acquired (" + not.reason() + ")", delay);
        engine.pacer().pause(delay);
        continue;
      }
      FormationLock.Held held = ((FormationLock.LockOutcome.Acquired) outcome).lock();
      state = "held by this agent since " + clock.instant();
      Outcome decided;
      try {
        decided = decideUnderLock(lock);
      } catch (Pacer.BackendException e) {
        failures++;
        decided = new Outcome.KeepProbing("backend failed under the lock: " + e.getMessage());
      } finally {
        release(held);
      }
      if (decided instanceof Outcome.KeepProbing wait) {
        engine.waitingFor(wait.reason());
        Duration delay = backoff.jittered();
        engine.spendAttempt("Not deciding yet: " + wait.reason(), delay);
        engine.pacer().pause(delay);
        continue;
      }
      return local.decision();
    }
    return null;
  }

  private Outcome decideUnderLock(FormationLock lock) {
    Marker marker = Pacer.await(lock.readMarker(), settings.discoveryTimeout());
    engine.refreshDiscovery();
    Outcome outcome = LockRule.decide(marker, view.snapshot().backendOrder(), local.self());
    if (outcome instanceof Outcome.SeedSelf) {
      String id = marker instanceof Marker.Forming f ? f.clusterId() : LocalNode.newClusterId();
      Pacer.await(
          lock.markForming(new Marker.Forming(local.self(), id)), settings.discoveryTimeout());
      local.decideSeed(id);
      LOG.info(
          "Decision: seed. {}; wrote 'forming' for cluster {} under this agent's lease. Next:"
              + " release the lock, start the node alone, then POST /v1/formation/complete",
          marker instanceof Marker.Forming
              ? "This agent's own forming marker was still there"
              : "No cluster marker existed",
          id);
    } else if (outcome instanceof Outcome.JoinOther join) {
      local.decideJoin(join);
      LOG.info(
          "Decision: join {} (marker {}), trying {} in order. Next: release the lock; the node"
              + " joins and keeps retrying while the seed boots",
          join.target(),
          marker.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT),
          join.peers());
    }
    return outcome;
  }

  private void release(FormationLock.Held held) {
    try {
      Pacer.await(held.release(), settings.discoveryTimeout());
      state = "released at " + clock.instant();
      LOG.info("Released the formation lock");
    } catch (Pacer.BackendException e) {
      LOG.warn(
          "Could not release the formation lock ({}); the backend releases it when its lease"
              + " expires",
          e.getMessage());
    }
  }
}
