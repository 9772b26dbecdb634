// Over 350 lines: carries out every effect the core emits, each with its time bound.
package io.muster.formation.engine;

import io.muster.config.CoreSettings;
import io.muster.declarative.ClustererBackend;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.MembershipStore;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.PeerProber;
import io.muster.formation.PeerView;
import io.muster.formation.core.Capabilities;
import io.muster.formation.core.CoreLog;
import io.muster.formation.core.CoreTuning;
import io.muster.formation.core.Effect;
import io.muster.formation.core.Event;
import io.muster.formation.core.FormationCore;
import io.muster.formation.core.FormationStatus;
import io.muster.formation.core.Phase;
import io.muster.metrics.AgentMetrics;
import io.muster.spi.Backend;
import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FixedSeed;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NameTakenException;
import io.muster.spi.NodeName;
import io.muster.spi.PeerWatch;
import io.muster.spi.Registration;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production driver of the formation core ({@link FormationCore}): it feeds the core one event
 * at a time on its own thread (never an event loop), under the {@link LocalNode}'s monitor, and
 * carries out the effects the core returns - backend calls whose answers come back as events,
 * timers, the published decision and peer list, the membership record. The node's requests
 * (complete, abort) go through the core too; these methods block until the core answered them.
 */
public final class FormationEngine {

  private static final Logger LOG = LoggerFactory.getLogger(FormationEngine.class);

  private final CoreSettings settings;
  private final Backend backend;
  private final Capabilities caps;
  private final LocalNode local;
  private final PeerView view;
  private final PeerProber prober;
  private final MembershipStore store;
  private final AgentMetrics metrics;
  private final Clock clock;
  private final FormationCore core;
  private final ScheduledThreadPoolExecutor loop;
  private final AtomicLong requests = new AtomicLong();
  private final Map<Long, CompletableFuture<Object>> pending = new ConcurrentHashMap<>();
  private volatile FormationStatus status;

  /** A decision an earlier run published and the node never completed (null: none). */
  private volatile String pendingAtStart;

  /** The core threw; it gets no more events. */
  private boolean crashed;

  private volatile CompletableFuture<Decision> decision = new CompletableFuture<>();
  private volatile PeerWatch.Subscription watch;
  private volatile CompletableFuture<Void> unregistering;
  private volatile Runnable decisionListener = () -> {};
  private volatile Consumer<String> exitListener = reason -> {};

  private boolean started;

  public FormationEngine(
      CoreSettings settings,
      Backend backend,
      LocalNode local,
      PeerView view,
      PeerProber prober,
      MembershipStore store,
      AgentMetrics metrics,
      Clock clock) {
    this.settings = settings;
    this.backend = backend;
    this.caps = Capabilities.of(backend);
    if (backend instanceof ClustererBackend c) {
      c.holder(); // the config file's version is offered (and stored) before the core reads it
    }
    this.local = local;
    this.view = view;
    this.prober = prober;
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.core =
        new FormationCore(
            CoreTuning.of(settings), caps, local.record(), randomSource(), new Slf4jLog(LOG));
    this.status = core.status();
    this.loop =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "muster-formation");
              t.setDaemon(true);
              return t;
            });
    loop.setRemoveOnCancelPolicy(true);
    if (caps.mode() == Capabilities.Mode.CONTACT_POINTS
        || caps.mode() == Capabilities.Mode.DECLARATIVE) {
      local.onNewProber(() -> submit(() -> feed(new Event.Wake())));
    }
  }

  /** True when the backend decides through contact points; false with a lock or a fixed seed. */
  public boolean lockless() {
    return caps.mode() == Capabilities.Mode.CONTACT_POINTS;
  }

  /** True when the backend decides through contact points: no lock, and no seed it fixes. */
  public static boolean usesContactPoints(Backend backend) {
    return Capabilities.of(backend).mode() == Capabilities.Mode.CONTACT_POINTS;
  }

  /** Agents of this backend ask peers' agents (contact points, or a fixed seed's peers). */
  public static boolean asksPeers(Backend backend) {
    return Capabilities.of(backend).asksPeers();
  }

  /** How this agent decides, for {@code /v1/status}. */
  public String mode() {
    return caps.describeMode();
  }

  /** True when the backend fixes the seed itself (no lock, no contact points). */
  public static boolean fixedSeed(Backend backend) {
    return backend instanceof FixedSeed f && f.fixedSeed().isPresent();
  }

  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    Optional<Membership> read;
    String unreadable = null;
    try {
      read = store.read();
    } catch (IllegalStateException e) {
      read = Optional.empty();
      unreadable = e.getMessage(); // formation fails on it below, on the formation thread
    }
    if (unreadable == null && read.isEmpty()) {
      pendingAtStart = store.pending().orElse(null);
    }
    if (pendingAtStart != null) {
      LOG.warn(
          "An earlier run handed the node a decision it never completed ({}): its data is not a"
              + " member's; muster exec resets it before starting the node",
          pendingAtStart);
    }
    Optional<Membership> record = read;
    String failure = unreadable;
    submit(
        () -> {
          if (failure != null) {
            feed(new Event.Crashed(failure));
            return;
          }
          record.ifPresent(r -> LOG.info("Read membership record {}", store.file()));
          feed(new Event.Start(record));
        });
  }

  private volatile String resetBeforeStart;

  /**
   * Declarative mode: why the node's data must be reset before it is started (once; null when it
   * need not). {@code muster exec}'s supervisor takes it before it starts the node.
   */
  public String takeResetBeforeStart() {
    String why = resetBeforeStart;
    resetBeforeStart = null;
    return why;
  }

  /** The node's data was reset (declarative mode): its old cluster's record goes now. */
  public void nodeReset() {
    store.delete();
    LOG.info("Node data reset: the membership record of its old cluster is removed");
  }

  private volatile String resetFormed;

  /**
   * Declarative mode, gospel {@code reset}: why this formed node must be stopped and its data reset
   * (null: it need not). {@code muster exec}'s supervisor does it, then calls {@link
   * #formedNodeReset}.
   */
  public String resetFormed() {
    return resetFormed;
  }

  /**
   * The node asked for by {@link #resetFormed} was stopped and its data reset: its record goes, and
   * the agent decides again as a fresh node. Blocking (the decision in force is retracted before it
   * returns): call it off the event loop.
   */
  public void formedNodeReset() {
    nodeReset();
    request(Event.FormedNodeReset::new);
    resetFormed = null;
  }

  /** Told every probe round's answers (declarative mode: versions of the cluster config). */
  public void onAnswers(Consumer<Map<NodeName, NodeInfo>> listener) {
    this.answersListener = listener;
  }

  private volatile Consumer<Map<NodeName, NodeInfo>> answersListener = answers -> {};

  /**
   * Asks for a read of the peer list now, as a watch event does (node cleanup confirming that a
   * member is absent over several reads).
   */
  public void requestRead() {
    submit(() -> feed(new Event.Wake()));
  }

  /**
   * Declarative mode: a younger cluster config is in force (peers' answers tell it already): an
   * agent still deciding decides on it at once, and a formed one asks every node of it.
   */
  public void configChanged() {
    requestRead();
  }

  private void submit(Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      // Stopped: answers that arrive after the stop are dropped.
    }
  }

  /** Feeds one event to the core and carries out what it asks. Runs on the formation thread. */
  private void feed(Event event) {
    if (crashed) {
      return;
    }
    List<Effect> effects;
    synchronized (local) {
      try {
        effects = core.handle(clock.instant(), event);
      } catch (RuntimeException | LinkageError e) {
        // A defect in the core itself: its state is unknown, so it gets no more events.
        LOG.error("Formation failed handling {}: {}", event, e.toString(), e);
        dead(e.toString());
        return;
      }
      status = core.status();
    }
    for (Effect effect : effects) {
      try {
        run(effect);
      } catch (RuntimeException | LinkageError e) {
        // LinkageError: a backend module built against another SPI (AbstractMethodError). Left to
        // the executor it would end the formation thread silently, health still green.
        LOG.error("Formation failed carrying out {}: {}", effect, e.getMessage(), e);
        feed(new Event.Crashed(e.getMessage() == null ? e.toString() : e.getMessage()));
        return;
      }
    }
  }

  private void run(Effect effect) {
    if (effect instanceof Effect.Register) {
      Registration r = (Registration) backend;
      answerOrError(
          r.register(),
          settings.discoveryTimeout(),
          ok -> new Event.Registered(r.describeRegistration()),
          error ->
              BackendFailure.unwrap(error) instanceof NameTakenException taken
                  ? new Event.NameTaken(taken.getMessage(), taken.ttl())
                  : new Event.RegisterFailed(message(error, settings.discoveryTimeout())));
    } else if (effect instanceof Effect.WatchPeers) {
      watch = ((PeerWatch) backend).watchPeers(() -> submit(() -> feed(new Event.Wake())));
    } else if (effect instanceof Effect.Discover) {
      LOG.debug("Discovery request to backend {}", settings.backend());
      answerOrError(
          backend.discover(settings.discoveryTimeout()),
          settings.discoveryTimeout(),
          result -> {
            metrics.discovery(result instanceof DiscoveryResult.Peers);
            return new Event.Discovered(result);
          },
          error -> {
            metrics.discovery(false);
            // a backend that failed its future keeps its kind (a BackendFailure's, a time-out,
            // an unreachable host), as one that answered a Failure does
            return new Event.Discovered(
                new DiscoveryResult.Failure(
                    BackendFailure.classify(error), message(error, settings.discoveryTimeout())));
          });
    } else if (effect instanceof Effect.AcquireLock) {
      long asked = System.nanoTime();
      answer(
          ((FormationLock) backend).acquire(),
          null,
          outcome ->
              outcome instanceof FormationLock.LockOutcome.Acquired a
                  ? acquired(a.lock(), Duration.ofNanos(System.nanoTime() - asked))
                  : new Event.LockNotAcquired(
                      ((FormationLock.LockOutcome.NotAcquired) outcome).reason()),
          Event.LockUnknown::new);
    } else if (effect instanceof Effect.ReadMarker) {
      answer(
          ((FormationLock) backend).readMarker(),
          settings.discoveryTimeout(),
          Event.MarkerRead::new,
          Event.StoreFailed::new);
    } else if (effect instanceof Effect.WriteForming w) {
      answer(
          ((FormationLock) backend).markForming(w.marker()),
          settings.discoveryTimeout(),
          ok -> new Event.FormingWritten(),
          Event.StoreFailed::new);
    } else if (effect instanceof Effect.ReleaseLock) {
      FormationLock.Held h = held;
      held = null;
      answer(
          h.release(),
          settings.discoveryTimeout(),
          ok -> new Event.LockReleased(Optional.empty()),
          error -> new Event.LockReleased(Optional.of(error)));
    } else if (effect instanceof Effect.Probe p) {
      metrics.probeRound();
      answer(
          prober
              .probeAll(p.targets())
              .whenComplete(
                  (answers, error) -> {
                    if (answers != null) {
                      try {
                        answersListener.accept(answers);
                      } catch (RuntimeException e) {
                        LOG.error("Handling probe answers failed: {}", e.toString(), e);
                      }
                    }
                  }),
          settings.probeTimeout().plusSeconds(5),
          Event.Probed::new,
          error -> new Event.Probed(Map.of()));
    } else if (effect instanceof Effect.Publish p) {
      if (!(p.decision() instanceof Decision.Rejoin)) {
        store.writePending(p.decision(), clock.instant());
      }
      metrics.decided(Duration.between(local.startedAt(), clock.instant()));
      decision.complete(p.decision());
      decisionListener.run();
    } else if (effect instanceof Effect.Retract) {
      decision = new CompletableFuture<>();
    } else if (effect instanceof Effect.ResetNode r) {
      // before the decision that follows is published: the supervisor reads it first. The record
      // stays until the reset worked: a failed reset or a crash must not leave a node that looks
      // fresh with another cluster's data
      resetBeforeStart = r.why();
      LOG.warn("This node's data is to be reset before it starts ({})", r.why());
    } else if (effect instanceof Effect.ResetFormed r) {
      resetFormed = r.why(); // muster exec's supervisor polls it; without exec nothing asks it
    } else if (effect instanceof Effect.PublishPeers p) {
      view.publish(p.view());
    } else if (effect instanceof Effect.WriteMembership w) {
      writeMembership(w);
    } else if (effect instanceof Effect.WriteFormed w) {
      answer(
          ((FormationLock) backend).markFormed(w.marker()),
          settings.discoveryTimeout(),
          ok -> new Event.FormedWritten(w.request()),
          error -> new Event.FormedWriteFailed(w.request(), error));
    } else if (effect instanceof Effect.ReassertFormed r) {
      answer(
          ((FormationLock) backend).reassertFormed(r.marker()),
          settings.discoveryTimeout(),
          Event.FormedReasserted::new,
          Event.ReassertFailed::new);
    } else if (effect instanceof Effect.ConfirmClaim c) {
      answer(
          ((FormationLock) backend).confirmClaim(c.claim()),
          settings.discoveryTimeout(),
          Event.ClaimChecked::new,
          Event.ClaimCheckFailed::new);
    } else if (effect instanceof Effect.VerifyJoin v) {
      answer(
          ((FormationLock) backend).readMarker(),
          settings.discoveryTimeout(),
          m -> new Event.JoinChecked(v.request(), Optional.of(m), null),
          error -> new Event.JoinChecked(v.request(), Optional.empty(), error));
    } else if (effect instanceof Effect.Withdraw) {
      // nothing to carry out here: the API and muster exec read it from the status (withdrawn())
    } else if (effect instanceof Effect.ClearForming c) {
      answer(
          ((FormationLock) backend).clearForming(),
          settings.discoveryTimeout(),
          ok -> new Event.FormingCleared(c.request(), Optional.empty()),
          error -> new Event.FormingCleared(c.request(), Optional.of(error)));
    } else if (effect instanceof Effect.Reply r) {
      reply(r.request()).complete(r.value());
    } else if (effect instanceof Effect.Refuse r) {
      reply(r.request()).completeExceptionally(new IllegalStateException(r.reason()));
    } else if (effect instanceof Effect.ReplyFailed r) {
      reply(r.request()).completeExceptionally(new BackendException(r.error(), null));
    } else if (effect instanceof Effect.ArmTimer t) {
      loop.schedule(
          () -> feed(new Event.TimerFired(t.timer())), t.delay().toMillis(), TimeUnit.MILLISECONDS);
    } else if (effect instanceof Effect.Fail f) {
      decision.completeExceptionally(new IllegalStateException(f.error()));
    } else if (effect instanceof Effect.Exit x) {
      exitListener.accept(x.reason());
    } else if (effect instanceof Effect.CloseWatch) {
      PeerWatch.Subscription w = watch;
      if (w != null) {
        w.close();
      }
    } else if (effect instanceof Effect.MarkMember m) {
      ((Registration) backend).markMember(m.clusterId());
    } else if (effect instanceof Effect.Unregister) {
      unregistering = ((Registration) backend).unregister().toCompletableFuture();
    }
  }

  /** The lock held between AcquireLock and ReleaseLock (one at a time). */
  private FormationLock.Held held;

  private Event acquired(FormationLock.Held lock, Duration waited) {
    held = lock;
    metrics.lockWaited(waited);
    return new Event.LockAcquired();
  }

  private void writeMembership(Effect.WriteMembership w) {
    try {
      store.write(w.membership());
    } catch (UncheckedIOException e) {
      if (w.reply() != 0) {
        reply(w.reply()).completeExceptionally(e);
        return;
      }
      throw e;
    }
    if (w.reply() != 0) {
      reply(w.reply()).complete(w.membership());
    }
  }

  private CompletableFuture<Object> reply(long request) {
    CompletableFuture<Object> f = pending.remove(request);
    return f != null ? f : new CompletableFuture<>();
  }

  /**
   * Waits (off the formation thread) for a backend call, then feeds its answer: {@code ok} maps a
   * result, {@code failed} a failure or a time-out ({@code bound} null: the backend's own bound).
   */
  private <T> void answer(
      CompletionStage<T> call,
      Duration bound,
      Function<T, Event> ok,
      Function<String, Event> failed) {
    answerOrError(call, bound, ok, error -> failed.apply(message(error, bound)));
  }

  /** As {@link #answer}, the failure mapped from the error itself. */
  private <T> void answerOrError(
      CompletionStage<T> call,
      Duration bound,
      Function<T, Event> ok,
      Function<Throwable, Event> failed) {
    CompletableFuture<T> f = call.toCompletableFuture().copy();
    if (bound != null) {
      f.orTimeout(bound.toMillis() + 1000, TimeUnit.MILLISECONDS);
    }
    f.whenComplete(
        (result, error) ->
            submit(
                () -> {
                  Event e;
                  try {
                    e = error == null ? ok.apply(result) : failed.apply(error);
                  } catch (RuntimeException mapping) {
                    e = failed.apply(mapping);
                  }
                  feed(e);
                }));
  }

  private static String message(Throwable error, Duration bound) {
    Throwable cause = BackendFailure.unwrap(error);
    if (cause instanceof TimeoutException && bound != null) {
      return "no answer within " + bound.toMillis() + " ms";
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /**
   * A decision an earlier run of this agent handed the node and the node never completed (its
   * record, as text), or null: the node's data is then not a member's, and {@code muster exec}
   * resets it before starting the node.
   */
  public String pendingAtStart() {
    return pendingAtStart;
  }

  /**
   * Why the node must stop acting on its decision (formation.md invariant 9: a seed whose claim
   * could not be proven in time, a joiner whose cluster is not the store's), or null. Until the
   * node aborts, {@code POST /v1/formation} answers {@code abort} and readiness fails.
   */
  public String withdrawn() {
    return status.withdrawn();
  }

  /** Called after every published decision (the first and any after an abort). */
  public void onDecision(Runnable listener) {
    decisionListener = listener;
  }

  /** Told the reason when the agent must exit with status 2 (its node name is taken). */
  public void onExit(Consumer<String> listener) {
    exitListener = listener;
  }

  /**
   * The node reports it started (seed) or joined: record the membership, and for a seed on a lock
   * backend replace the {@code forming} marker with a durable {@code formed} one. Blocking: call it
   * off the event loop.
   *
   * @throws IllegalStateException when no decision has been taken
   * @throws BackendException when the backend could not record it
   */
  public Membership complete() {
    return complete(Optional.empty());
  }

  /**
   * Completes with the node's own list of its cluster members as evidence (formation.md invariant
   * 9): a joiner whose list holds none of the nodes it was told to join withdraws.
   */
  public Membership complete(Optional<Set<NodeName>> members) {
    return (Membership) request(id -> new Event.CompleteRequested(id, members));
  }

  /**
   * The node could not act on the decision (e.g. the seed it was told to join never came up):
   * forget it and decide again. Blocking: call it off the event loop.
   */
  public Decision abort() {
    return (Decision) request(Event.AbortRequested::new);
  }

  private Object request(LongFunction<Event> make) {
    long id = requests.incrementAndGet();
    CompletableFuture<Object> answer = new CompletableFuture<>();
    pending.put(id, answer);
    submit(() -> feed(make.apply(id)));
    Duration bound = settings.discoveryTimeout().multipliedBy(2).plusSeconds(2);
    try {
      return answer.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new BackendException(message(e, null), e.getCause());
    } catch (TimeoutException e) {
      pending.remove(id);
      throw new BackendException("no answer within " + bound.toMillis() + " ms", e);
    }
  }

  /** True when this agent can tell whether the seed it was told to join has formed. */
  public boolean canObserveSeed() {
    return caps.mode() == Capabilities.Mode.LOCK || prober != null;
  }

  /**
   * True when the cluster this node was told to join has formed: the seed's node completed (lock
   * backends: the durable {@code formed} marker; lockless: the seed's agent answers {@code
   * formed}). True at once for a seed or a rejoin. Blocking: call it off the event loop.
   *
   * @throws IllegalStateException when the backend cannot tell, or could not be asked
   */
  public boolean seedFormed() {
    Decision d = local.decision();
    if (!(d instanceof Decision.Join join)) {
      return d != null;
    }
    try {
      if (backend instanceof FormationLock lock) {
        Marker m = await(lock.readMarker(), settings.discoveryTimeout());
        // the cluster this node was told to join, not just any formed cluster (invariant 9)
        if (m instanceof Marker.Formed f
            && join.clusterId() != null
            && !f.clusterId().equals(join.clusterId())) {
          throw new IllegalStateException(
              "the store's formed marker names cluster "
                  + f.clusterId()
                  + " (seed "
                  + f.seed()
                  + "), not cluster "
                  + join.clusterId()
                  + " this node was told to join");
        }
        // a cluster RabbitMQ's plugin started is running once its node registered (under the
        // lock, after its database was up): formed, though no marker names it yet
        return m instanceof Marker.Formed
            || (m instanceof Marker.None && Registration.PLUGIN_CLUSTER.equals(join.clusterId()));
      }
      if (prober != null) {
        NodeInfo info =
            await(prober.probeAll(Set.of(join.seed())), settings.probeTimeout().plusSeconds(5))
                .get(join.seed());
        return info != null && info.state() == NodeState.FORMED;
      }
    } catch (BackendException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    throw new IllegalStateException(
        "backend " + settings.backend() + " cannot tell when the seed has formed");
  }

  private static <T> T await(CompletionStage<T> stage, Duration bound) {
    try {
      return stage.toCompletableFuture().get(bound.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new BackendException(message(e, bound), e);
    }
  }

  /** Completes when a decision is available. */
  public CompletableFuture<Decision> decision() {
    return decision;
  }

  /** The core's latest status, one immutable picture. */
  public FormationStatus status() {
    return status;
  }

  public Phase phase() {
    return status.phase();
  }

  public String waitingFor() {
    return status.waitingFor();
  }

  public int attemptsLeft() {
    return status.attemptsLeft();
  }

  public boolean exhausted() {
    return status.exhausted();
  }

  public String failure() {
    return status.failure();
  }

  /** The formation lock as this agent last saw it (null for lockless backends). */
  public String lockState() {
    return status.lockState();
  }

  public Map<NodeName, NodeInfo> lastAnswers() {
    return status.lastAnswers();
  }

  /**
   * Stops the loop and, for registration backends, unregisters. Bounded by the shutdown timeout.
   */
  public synchronized void stop() {
    if (loop.isShutdown()) {
      return;
    }
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    submit(
        () -> {
          feed(new Event.Stop());
          stopped.complete(null);
        });
    try {
      stopped.get(settings.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("Formation did not stop within {}; stopping it now", settings.shutdownTimeout());
    }
    loop.shutdownNow();
    CompletableFuture<Void> u = unregistering;
    if (u != null) {
      try {
        await(
            u,
            settings.shutdownTimeout().minusSeconds(1).isNegative()
                ? Duration.ZERO
                : settings.shutdownTimeout().minusSeconds(1));
        LOG.info("Unregistered {}", ((Registration) backend).describeRegistration());
      } catch (BackendException e) {
        LOG.warn(
            "Could not unregister ({}); the backend drops the registration when its lease or TTL"
                + " runs out",
            e.getMessage());
      }
    }
    pending.values().forEach(f -> f.completeExceptionally(new IllegalStateException("stopped")));
  }

  /** A backend operation failed or timed out. */
  public static final class BackendException extends RuntimeException {
    BackendException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The core's log lines, through SLF4J. */
  private record Slf4jLog(Logger log) implements CoreLog {
    @Override
    public void debug(String format, Object... args) {
      log.debug(format, args);
    }

    @Override
    public void info(String format, Object... args) {
      log.info(format, args);
    }

    @Override
    public void warn(String format, Object... args) {
      log.warn(format, args);
    }

    @Override
    public void error(String format, Object... args) {
      log.error(format, args);
    }
  }

  /**
   * The core threw: no more events reach it. What it would have done on a failure is done here: the
   * peer list is flagged stale, the decision fails, and {@link #phase()} says FAILED, which fails
   * {@code /health/live} and {@code /health/ready}.
   */
  private void dead(String error) {
    FormationStatus s = status;
    status =
        new FormationStatus(
            Phase.FAILED,
            s.waitingFor(),
            s.attemptsLeft(),
            s.exhausted(),
            error,
            s.lockState(),
            s.lastAnswers(),
            s.mode(),
            s.markerState(),
            s.withdrawn(),
            s.answersAt());
    crashed = true;
    view.publish(view.snapshot().afterFailure("formation failed: " + error, clock.instant()));
    decision.completeExceptionally(new IllegalStateException(error));
  }

  /**
   * The core's random source in production: cluster ids and retry jitter. A SecureRandom, safe from
   * any thread. Never {@code ThreadLocalRandom.current()} captured here: used later from the
   * formation thread, that instance draws from a thread whose seed was never set, so every agent
   * process drew the same "random" cluster ids and jitter.
   */
  static RandomGenerator randomSource() {
    return new SecureRandom();
  }
}
