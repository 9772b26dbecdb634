package io.muster.exec;

import io.muster.formation.Decision;
import io.muster.formation.engine.FormationEngine;
import io.muster.formation.engine.LocalNode;
import io.muster.render.RenderLoop;
import io.muster.spi.support.Backoff;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the node may start: the decision is taken, the seed has formed when {@code
 * muster.exec.join_when = seed_ready} asks for it (joiners only), and the configured files are
 * rendered for that decision. These are the steps {@code muster exec} takes before it starts its
 * child; {@code GET /health/started} reports them for a node that something else starts, such as
 * the server container behind a Kubernetes native sidecar's startup probe.
 */
public final class StartGate {

  private static final Logger LOG = LoggerFactory.getLogger(StartGate.class);

  /** Open, or closed with what it waits for. */
  public record State(boolean open, String waitingFor) {
    static State waiting(String what) {
      return new State(false, what);
    }
  }

  private final FormationEngine engine;
  private final LocalNode local;
  private final RenderLoop render;
  private final ExecSettings settings;

  /** A closed answer younger than this is served again instead of asking the backend. */
  static final Duration FRESH = Duration.ofSeconds(1);

  /** The decision the gate last opened for; a new decision (after an abort) checks again. */
  private volatile Decision openedFor;

  private volatile long openedAt;
  private final ReentrantLock checking = new ReentrantLock();
  private volatile State last = State.waiting("the first check");
  private volatile long lastAt = System.nanoTime() - FRESH.toNanos();

  public StartGate(
      FormationEngine engine, LocalNode local, RenderLoop render, ExecSettings settings) {
    this.engine = engine;
    this.local = local;
    this.render = render;
    this.settings = settings;
  }

  /**
   * Why {@code join_when = seed_ready} cannot work with this backend, if it cannot: a backend that
   * fixes the seed without contact points has no way to tell when the seed has formed.
   */
  public static Optional<String> unsupported(FormationEngine engine, ExecSettings settings) {
    if (settings.joinWhen() == ExecSettings.JoinWhen.SEED_READY && !engine.canObserveSeed()) {
      return Optional.of(
          "with join_when = seed_ready the agent must see the seed form, and this backend fixes"
              + " the seed without contact points");
    }
    return Optional.empty();
  }

  /**
   * The gate's state. Blocking (may ask the backend, bounded by its timeouts): call it off the
   * event loop. One check runs at a time; callers that come while one runs, or within {@link
   * #FRESH} of the last, get the last answer, so probes cannot pile up behind a slow backend.
   */
  public State check() {
    if (!checking.tryLock()) {
      return last;
    }
    try {
      if (System.nanoTime() - lastAt < FRESH.toNanos() && !last.open()) {
        return last;
      }
      last = evaluate();
      lastAt = System.nanoTime();
      return last;
    } finally {
      checking.unlock();
    }
  }

  private State evaluate() {
    Decision d = local.decision();
    if (d == null) {
      return State.waiting("the formation decision (" + engine.waitingFor() + ")");
    }
    if (d.equals(openedFor)) {
      return new State(true, null);
    }
    if (d instanceof Decision.Join
        && settings.joinWhen() == ExecSettings.JoinWhen.SEED_READY
        && engine.canObserveSeed()) {
      try {
        if (!engine.seedFormed()) {
          return State.waiting(
              "seed " + d.seed() + " to form (muster.exec.join_when = seed_ready)");
        }
      } catch (IllegalStateException e) {
        return State.waiting("word on whether seed " + d.seed() + " has formed: " + e.getMessage());
      }
    }
    if (!render.renderNow()) {
      return State.waiting("the configured files, which could not be rendered (see /v1/status)");
    }
    if (!render.renderedFor(d)) {
      return State.waiting(
          "the configured files to be rendered for this decision (see rendered_files in"
              + " /v1/status)");
    }
    openedFor = d;
    openedAt = System.nanoTime();
    LOG.info(
        "Start gate open: decision {} (seed {}), files rendered; the node may start",
        d.action(),
        d.seed());
    return new State(true, null);
  }

  /** Whether this node may create or join its database now, and why not. */
  public record SeedState(Decision decision, Seed status, String detail) {

    /** What {@code GET /v1/formation/seed} answers. */
    public enum Seed {
      /** A seed, a rejoin, or a joiner whose seed has formed: go ahead. */
      FORMED,
      /** Not yet: no decision, a withdrawn one, or a seed that has not formed. */
      WAITING,
      /** This backend cannot tell when the seed forms; waiting would never end. */
      UNOBSERVABLE
    }
  }

  private final ReentrantLock askingSeed = new ReentrantLock();
  private volatile SeedState lastSeed;

  /**
   * Whether the seed this node joins has formed: what RabbitMQ's {@code muster_peer_discovery}
   * module asks before it lets a joiner copy the seed's tables (deploy/rabbitmq). Blocking (may ask
   * the backend, bounded by its timeouts): call it off the event loop. One check runs at a time; a
   * caller that comes while one runs gets the last answer when it was for the same decision.
   */
  public SeedState seedState() {
    if (!askingSeed.tryLock()) {
      SeedState last = lastSeed;
      Decision d = local.decision();
      if (last != null && d != null && d.equals(last.decision())) {
        return last;
      }
      return new SeedState(d, SeedState.Seed.WAITING, "another check that is still running");
    }
    try {
      lastSeed = evaluateSeed();
      return lastSeed;
    } finally {
      askingSeed.unlock();
    }
  }

  private SeedState evaluateSeed() {
    Decision d = local.decision();
    if (d == null) {
      return new SeedState(
          null, SeedState.Seed.WAITING, "the formation decision (" + engine.waitingFor() + ")");
    }
    if (engine.withdrawn() != null) {
      return new SeedState(
          d, SeedState.Seed.WAITING, "a new decision: this one was withdrawn, the node stops");
    }
    if (!(d instanceof Decision.Join)) {
      return new SeedState(d, SeedState.Seed.FORMED, null);
    }
    if (!engine.canObserveSeed()) {
      return new SeedState(
          d,
          SeedState.Seed.UNOBSERVABLE,
          "this backend fixes the seed without contact points, so the agent cannot see "
              + d.seed()
              + " form; use the builtin:rabbitmq template for it");
    }
    try {
      return engine.seedFormed()
          ? new SeedState(d, SeedState.Seed.FORMED, null)
          : new SeedState(d, SeedState.Seed.WAITING, "seed " + d.seed() + " to form");
    } catch (IllegalStateException e) {
      return new SeedState(
          d,
          SeedState.Seed.WAITING,
          "word on whether seed " + d.seed() + " has formed: " + e.getMessage());
    }
  }

  /**
   * Blocks until the gate is open for the current decision; returns when it opened ({@link
   * System#nanoTime()}), or -1 when {@code stop} says to stop first.
   */
  public long awaitOpen(BooleanSupplier stop, Duration interval) throws InterruptedException {
    return awaitOpen(stop, interval, settings.readyTimeout());
  }

  /**
   * As {@link #awaitOpen(java.util.function.BooleanSupplier, Duration)}, in bounded rounds of
   * {@code round} (formation.md invariant 5): each round that ends closed is logged with what the
   * gate waits for, and the wait goes on.
   */
  long awaitOpen(BooleanSupplier stop, Duration interval, Duration round)
      throws InterruptedException {
    long roundEnds = System.nanoTime() + round.toNanos();
    int rounds = 0;
    while (!stop.getAsBoolean()) {
      Decision d = local.decision();
      State state = check();
      if (d != null && state.open() && d.equals(openedFor)) {
        return openedAt;
      }
      if (System.nanoTime() - roundEnds >= 0) {
        rounds++;
        roundEnds = System.nanoTime() + round.toNanos();
        LOG.warn(
            "The node may still not start after {} s ({} round(s) of muster.exec.ready.timeout):"
                + " waiting for {}; waiting on",
            rounds * round.toSeconds(),
            rounds,
            state.waitingFor());
      }
      Thread.sleep(Backoff.jitter(interval).toMillis());
    }
    return -1;
  }
}
