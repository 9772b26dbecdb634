package io.muster.formation;

import io.muster.config.CoreSettings;
import io.muster.config.CoreSettings.OnExhausted;
import io.muster.metrics.AgentMetrics;
import io.muster.retry.Backoff;
import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FixedSeed;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.muster.spi.PeerWatch;
import io.muster.spi.Registration;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs formation.md's boot sequence on its own thread (never on an event loop): rejoin from the
 * data dir, register, discover with retries, decide (under the lock for lock backends, by contact
 * points otherwise), publish the decision, then keep the peer list fresh. Completion and abort come
 * from the node through the API.
 */
public final class FormationEngine {

  private static final Logger LOG = LoggerFactory.getLogger(FormationEngine.class);

  /** Where the engine is, for {@code /v1/status}. */
  public enum Phase {
    STARTING,
    REGISTERING,
    DECIDING,
    DECIDED,
    FORMED,
    STOPPED,
    FAILED
  }

  private final CoreSettings settings;
  private final Backend backend;
  private final LocalNode local;
  private final PeerView view;
  private final PeerProber prober;
  private final MembershipStore store;
  private final AgentMetrics metrics;
  private final Clock clock;
  private final Backoff backoff;
  private final Pacer pacer = new Pacer();
  private volatile Phase phase = Phase.STARTING;
  private volatile String waitingFor = "starting";
  private volatile boolean registered;
  private volatile int attemptsLeft;
  private volatile boolean exhausted;
  private volatile String failure;
  private final LockedDecision locked;
  private volatile Map<NodeName, NodeInfo> lastAnswers = Map.of();
  private volatile CompletableFuture<Decision> decision = new CompletableFuture<>();
  private Thread thread;
  private volatile PeerWatch.Subscription watch;
  private volatile Runnable decisionListener = () -> {};

  /** With a watch, peers are re-read on change; this re-read only guards against a silent watch. */
  private static final Duration WATCH_SAFETY_RESYNC = Duration.ofMinutes(5);

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
    this.local = local;
    this.view = view;
    this.prober = prober;
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.backoff = new Backoff(settings.retryInterval());
    this.attemptsLeft = settings.retryLimit();
    this.locked = new LockedDecision(this, settings, local, view, backoff, clock);
  }

  /** True when the backend decides under its own lock; false for contact points. */
  public boolean lockless() {
    return usesContactPoints(backend);
  }

  /** True when the backend decides through contact points: no lock, and no seed it fixes. */
  public static boolean usesContactPoints(Backend backend) {
    return !(backend instanceof FormationLock) && !fixedSeed(backend);
  }

  /** How this agent decides, for {@code /v1/status}. */
  public String mode() {
    return fixedSeed(backend)
        ? "fixed seed (backend rule)"
        : lockless() ? "contact points (lockless)" : "formation lock";
  }

  /** True when the backend fixes the seed itself (no lock, no contact points). */
  public static boolean fixedSeed(Backend backend) {
    return backend instanceof FixedSeed f && f.fixedSeed().isPresent();
  }

  public synchronized void start() {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    thread = new Thread(this::run, "muster-formation");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      Optional<Membership> record = store.read();
      if (record.isPresent()) {
        Decision d = local.rejoin(record.get());
        LOG.info(
            "Found membership record {}: cluster {}, members {}. Decision: rejoin (no discovery);"
                + " next: the node contacts its last-seen peers",
            store.file(),
            record.get().clusterId(),
            record.get().members());
        publish(d);
        phase = Phase.FORMED;
        if (backend instanceof Registration registration) {
          // Still a member the others must see (their discovery, cleanup and joiners' lists):
          // register too, after the decision, so a backend outage never holds back the rejoin;
          // if the backend does not answer, the run loop below keeps trying.
          tryRegisterOnce(registration);
        }
      } else if (backend instanceof Registration registration) {
        register(registration);
      }
      if (backend instanceof PeerWatch peerWatch) {
        watch = peerWatch.watchPeers(pacer::wakeUp);
      }
      int runFailures = 0;
      while (!pacer.stopping()) {
        if (local.decision() == null) {
          phase = Phase.DECIDING;
          Decision d =
              backend instanceof FixedSeed fixed && fixed.fixedSeed().isPresent()
                  ? decideByFixedSeed(fixed.fixedSeed().get())
                  : backend instanceof FormationLock lock
                      ? locked.decide(lock)
                      : decideByContactPoints();
          if (d != null) {
            publish(d);
          }
          continue;
        }
        phase = local.state() == NodeState.FORMED ? Phase.FORMED : Phase.DECIDED;
        if (!registered && backend instanceof Registration registration) {
          tryRegisterOnce(registration);
        }
        boolean fresh = refreshDiscovery();
        runFailures = fresh ? 0 : runFailures + 1;
        if (lockless() && local.state() == NodeState.FORMED) {
          learnMembers();
        }
        pacer.pause(nextRefresh(runFailures));
      }
    } catch (Pacer.Stopped e) {
      // stop() asked for it
    } catch (RuntimeException e) {
      failure = e.getMessage();
      phase = Phase.FAILED;
      LOG.error("Formation failed and will not continue: {}", e.getMessage(), e);
      decision.completeExceptionally(e);
    }
  }

  /**
   * How long to wait before the next read in the run phase: after a failure, jittered backoff; with
   * a working watch, until it reports a change (a periodic re-read only as a safety net); else the
   * poll interval with jitter.
   */
  private Duration nextRefresh(int consecutiveFailures) {
    if (consecutiveFailures > 0) {
      Duration delay = backoff.afterFailure(consecutiveFailures);
      LOG.info(
          "Peer list is stale ({}); serving the last good list, next read in {} ms (retries until"
              + " the backend answers)",
          view.snapshot().lastError(),
          delay.toMillis());
      return delay;
    }
    if (watch != null) {
      return WATCH_SAFETY_RESYNC;
    }
    return Backoff.jitter(settings.pollInterval());
  }

  private void register(Registration registration) {
    phase = Phase.REGISTERING;
    waitingFor = "registration with the backend";
    int failures = 0;
    while (true) {
      try {
        Pacer.await(registration.register(), settings.discoveryTimeout());
        registered = true;
        LOG.info("Registered {}; next: discover peers", registration.describeRegistration());
        return;
      } catch (Pacer.BackendException e) {
        failures++;
        Duration delay = backoff.afterFailure(failures);
        waitingFor = "registration, which failed: " + e.getMessage();
        LOG.warn(
            "Registration failed: {}. Retrying in {} ms (attempt {}; registration retries until it"
                + " succeeds or the agent stops)",
            e.getMessage(),
            delay.toMillis(),
            failures);
        pacer.pause(delay);
      }
    }
  }

  /** One bounded registration attempt, for a node that runs whether or not it succeeds. */
  private void tryRegisterOnce(Registration registration) {
    try {
      Pacer.await(registration.register(), settings.discoveryTimeout());
      registered = true;
      LOG.info("Registered {}", registration.describeRegistration());
    } catch (Pacer.BackendException e) {
      LOG.warn(
          "Registration failed: {}; the node runs on and registration is tried again with the"
              + " next discovery",
          e.getMessage());
    }
  }

  /** Asks the backend once; updates the view. True on success. */
  boolean refreshDiscovery() {
    LOG.debug("Discovery request to backend {}", settings.backend());
    DiscoveryResult result;
    try {
      result =
          Pacer.await(backend.discover(settings.discoveryTimeout()), settings.discoveryTimeout());
    } catch (Pacer.BackendException e) {
      result = new DiscoveryResult.Failure(DiscoveryResult.Kind.OTHER, e.getMessage());
    }
    if (result instanceof DiscoveryResult.Peers peers) {
      if (!peers.rejected().isEmpty()) {
        LOG.warn("Backend reported invalid node names, rejected: {}", peers.rejected());
      }
      view.success(peers.nodes());
      local.discovered(view.snapshot().peers());
      metrics.discovery(true);
      return !view.snapshot().stale();
    }
    DiscoveryResult.Failure f = (DiscoveryResult.Failure) result;
    view.failure(f.kind().name().toLowerCase(java.util.Locale.ROOT) + ": " + f.message());
    metrics.discovery(false);
    return false;
  }

  /**
   * The backend fixes the seed (e.g. the StatefulSet ordinal rule): seed if it is this node, else
   * join it. The cluster id is derived from the seed, so every node agrees without talking.
   */
  private Decision decideByFixedSeed(NodeName seed) {
    String clusterId = "seed:" + seed;
    if (seed.equals(local.self())) {
      Decision d = local.decideSeed(clusterId);
      LOG.info(
          "Decision: seed. The backend's rule names this node ({}) as the seed; no discovery"
              + " needed. Next: start the node alone, then POST /v1/formation/complete",
          seed);
      return d;
    }
    Decision d = local.decideJoin(new Outcome.JoinOther(seed, List.of(seed), clusterId));
    LOG.info(
        "Decision: join {}: the backend's rule names it as the seed. Next: the node joins it and"
            + " keeps retrying while it boots",
        seed);
    return d;
  }

  private Decision decideByContactPoints() {
    int failures = 0;
    while (!pacer.stopping() && local.decision() == null) {
      if (!refreshDiscovery()) {
        failures++;
        if (!view.snapshot().everSucceeded()) {
          Duration delay = backoff.afterFailure(failures);
          waitingFor = "discovery: " + view.snapshot().lastError();
          if (spendAttempt("Discovery failed (" + view.snapshot().lastError() + ")", delay)) {
            return seedAlone();
          }
          pacer.pause(delay);
          continue;
        }
      } else {
        failures = 0;
      }
      Set<NodeName> targets = local.probeTargets(lastAnswers);
      Map<NodeName, NodeInfo> answers =
          Pacer.await(prober.probeAll(targets), settings.probeTimeout().plusSeconds(5));
      lastAnswers = answers;
      metrics.probeRound();
      Outcome outcome =
          local.decideLockless(answers, settings.stableMargin(), settings.targetClusterSize());
      if (outcome instanceof Outcome.SeedSelf) {
        Decision d = local.decision();
        LOG.info(
            "Decision: seed. All {} known nodes answered and {} has the lowest name; this node"
                + " forms cluster {}. Next: start the node alone, then POST /v1/formation/complete",
            answers.size() + 1,
            local.self(),
            d.clusterId());
        return d;
      }
      if (outcome instanceof Outcome.JoinOther join) {
        LOG.info(
            "Decision: join {} (cluster {}), trying {} in order. Next: the node joins and keeps"
                + " retrying while the seed boots, then POST /v1/formation/complete",
            join.target(),
            join.clusterId(),
            join.peers());
        return local.decision();
      }
      waitingFor = ((Outcome.KeepProbing) outcome).reason();
      Duration delay = backoff.jittered();
      if (spendAttempt("Not deciding yet: " + waitingFor, delay)) {
        return seedAlone();
      }
      pacer.pause(delay);
    }
    return null;
  }

  /**
   * Counts one attempt and logs what comes next. True when retries are exhausted and {@code
   * muster.on_exhausted = standalone} says to seed alone (lockless only).
   */
  boolean spendAttempt(String what, Duration delay) {
    int left = attemptsLeft - 1;
    attemptsLeft = Math.max(left, 0);
    if (left >= 0) {
      LOG.info("{}. Retrying in {} ms, {} attempts left", what, delay.toMillis(), left);
      return false;
    }
    boolean first = !exhausted;
    exhausted = true;
    if (settings.onExhausted() == OnExhausted.STANDALONE && lockless()) {
      LOG.error(
          "{}. Retries exhausted (cluster_formation.discovery_retry_limit = {}):"
              + " muster.on_exhausted = standalone, so this node seeds ALONE. If peers form"
              + " their own cluster, there will be two.",
          what,
          settings.retryLimit());
      return true;
    }
    if (first || left % 20 == 0) {
      LOG.warn(
          "{}. Retries exhausted (cluster_formation.discovery_retry_limit = {}); waiting as"
              + " muster.on_exhausted = wait says: the node is not ready until a decision is"
              + " possible. Retrying every ~{} ms",
          what,
          settings.retryLimit(),
          delay.toMillis());
    }
    return false;
  }

  private Decision seedAlone() {
    return local.decideSeed(LocalNode.newClusterId());
  }

  private void learnMembers() {
    Set<NodeName> targets = local.probeTargets(Map.of());
    if (targets.isEmpty()) {
      return;
    }
    Map<NodeName, NodeInfo> answers =
        Pacer.await(prober.probeAll(targets), settings.probeTimeout().plusSeconds(5));
    if (local.mergeMembers(answers.values())) {
      Membership m = local.membership();
      store.write(m);
      LOG.info("Cluster {} members now known: {}", m.clusterId(), m.members());
    }
  }

  /** Called after every published decision (the first and any after an abort). */
  public void onDecision(Runnable listener) {
    decisionListener = listener;
  }

  /**
   * Synchronized with {@link #abort()}: a decision taken while an abort is in progress completes
   * the abort's new future, never the old, already completed one.
   */
  private synchronized void publish(Decision d) {
    waitingFor = null;
    attemptsLeft = settings.retryLimit();
    exhausted = false;
    metrics.decided(Duration.between(local.startedAt(), clock.instant()));
    decision.complete(d);
    decisionListener.run();
  }

  /**
   * The node reports it started (seed) or joined: record the membership, and for a seed on a lock
   * backend replace the {@code forming} marker with a durable {@code formed} one. Blocking: call it
   * off the event loop.
   */
  public synchronized Membership complete() {
    Decision d = local.decision();
    if (d == null) {
      throw new IllegalStateException("no decision has been taken yet");
    }
    if (local.state() == NodeState.FORMED) {
      return local.membership();
    }
    if (d instanceof Decision.Seed && backend instanceof FormationLock lock) {
      Pacer.await(
          lock.markFormed(new Marker.Formed(local.self(), d.clusterId(), clock.instant())),
          settings.discoveryTimeout());
    }
    Membership m = local.complete(Set.of());
    store.write(m);
    phase = Phase.FORMED;
    LOG.info(
        "Formation complete: {} is a member of cluster {} (members known: {}). Next: keep the peer"
            + " list fresh",
        local.self(),
        m.clusterId(),
        m.members());
    pacer.wakeUp();
    return m;
  }

  /**
   * The node could not act on the decision (e.g. the seed it was told to join never came up):
   * forget it and decide again. Blocking: call it off the event loop.
   */
  public synchronized Decision abort() {
    Decision aborted = local.abort();
    // The next decision completes a new future; publish() waits for this method to return.
    decision = new CompletableFuture<>();
    if (aborted instanceof Decision.Seed && backend instanceof FormationLock lock) {
      try {
        Pacer.await(lock.clearForming(), settings.discoveryTimeout());
      } catch (Pacer.BackendException e) {
        LOG.warn(
            "Could not clear the forming marker ({}); it stays while this agent is registered,"
                + " so this agent stays the seed when it decides again",
            e.getMessage());
      }
    }
    attemptsLeft = settings.retryLimit();
    phase = Phase.DECIDING;
    LOG.info(
        "Formation aborted by the node (was: {} {}); deciding again",
        aborted.action(),
        aborted.seed());
    pacer.wakeUp();
    return aborted;
  }

  /** True when this agent can tell whether the seed it was told to join has formed. */
  public boolean canObserveSeed() {
    return backend instanceof FormationLock || prober != null;
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
        Marker m = Pacer.await(lock.readMarker(), settings.discoveryTimeout());
        return m instanceof Marker.Formed;
      }
      if (prober != null) {
        NodeInfo info =
            Pacer.await(
                    prober.probeAll(Set.of(join.seed())), settings.probeTimeout().plusSeconds(5))
                .get(join.seed());
        return info != null && info.state() == NodeState.FORMED;
      }
    } catch (Pacer.BackendException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    throw new IllegalStateException(
        "backend " + settings.backend() + " cannot tell when the seed has formed");
  }

  /** Completes when a decision is available. */
  public CompletableFuture<Decision> decision() {
    return decision;
  }

  public Phase phase() {
    return phase;
  }

  void waitingFor(String what) {
    waitingFor = what;
  }

  Pacer pacer() {
    return pacer;
  }

  public String waitingFor() {
    return waitingFor;
  }

  public int attemptsLeft() {
    return attemptsLeft;
  }

  public boolean exhausted() {
    return exhausted;
  }

  public String failure() {
    return failure;
  }

  /** The formation lock as this agent last saw it (null for lockless backends). */
  public String lockState() {
    return locked.state();
  }

  public Map<NodeName, NodeInfo> lastAnswers() {
    return lastAnswers;
  }

  /**
   * Stops the loop and, for registration backends, unregisters. Bounded by the shutdown timeout.
   */
  public void stop() {
    pacer.stop();
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      // The loop may be blocked on a backend future (a lock wait lasts up to lock_timeout): the
      // interrupt makes it stop now; nothing it writes is left half done (atomic file moves).
      t.interrupt();
      try {
        t.join(settings.shutdownTimeout().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    PeerWatch.Subscription w = watch;
    if (w != null) {
      w.close();
    }
    if (backend instanceof Registration registration) {
      try {
        Pacer.await(registration.unregister(), settings.shutdownTimeout());
        LOG.info("Unregistered {}", registration.describeRegistration());
      } catch (Pacer.BackendException | Pacer.Stopped e) {
        LOG.warn(
            "Could not unregister ({}); the backend drops the registration when its lease or TTL"
                + " runs out",
            e.getMessage());
      }
    }
    phase = Phase.STOPPED;
  }
}
