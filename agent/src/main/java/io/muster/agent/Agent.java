// Over 350 lines: wires every part of the agent and orders its start and stop.
package io.muster.agent;

import io.muster.api.ApiServer;
import io.muster.api.PeerServer;
import io.muster.api.StatusView;
import io.muster.cleanup.NodeCleanup;
import io.muster.config.ConfigException;
import io.muster.config.ConfigProblem;
import io.muster.config.CoreKeys;
import io.muster.config.CoreSettings;
import io.muster.declarative.ClustererBackend;
import io.muster.declarative.ConfigSpreading;
import io.muster.exec.ExecSettings;
import io.muster.exec.RunningAgent;
import io.muster.exec.StartGate;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.MembershipStore;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.PeerProber;
import io.muster.formation.PeerTls;
import io.muster.formation.PeerView;
import io.muster.formation.core.Phase;
import io.muster.formation.engine.FormationEngine;
import io.muster.formation.engine.LocalNode;
import io.muster.metrics.AgentMetrics;
import io.muster.process.Commands;
import io.muster.render.FileRenderer;
import io.muster.render.RenderLoop;
import io.muster.spi.Backend;
import io.muster.spi.FixedSeed;
import io.muster.spi.FormationLock;
import io.muster.spi.NodeName;
import io.muster.spi.Registration;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running agent: backend, formation engine, API and (lockless) peer port. */
public final class Agent implements RunningAgent, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  private final AgentConfig config;
  private final Vertx vertx;
  private final Backend backend;
  private final LocalNode local;
  private final PeerView view;
  private final FormationEngine engine;
  private final PeerProber prober;
  private final ApiServer api;
  private final StartGate startGate;
  private final PeerServer peerServer;
  private final AgentMetrics metrics;
  private final MembershipStore store;

  /** Completes with the cluster id once the node left it ({@link #leave}); the agent then stops. */
  private final CompletableFuture<String> left = new CompletableFuture<>();

  private final NodeCleanup cleanup;
  private final RenderLoop render;
  private final DataDir dataDir;
  private final CompletableFuture<String> exit = new CompletableFuture<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private int apiPort;

  private Agent(AgentConfig config, Vertx vertx, DataDir dataDir) {
    this.config = config;
    this.vertx = vertx;
    this.dataDir = dataDir;
    CoreSettings core = config.core();
    Clock clock = Clock.systemUTC();
    MembershipStore store = new MembershipStore(core.dataDir());
    this.store = store;
    refuseForeignRecord(store, core); // before anything connects
    this.backend = config.createBackend(vertx, dataDir.instanceId());
    this.local = new LocalNode(core.nodeName(), clock);
    this.view = new PeerView(clock);
    AgentMetrics metrics = new AgentMetrics();
    // The peer port for lockless backends that ask peers (contact points), and for a fixed seed
    // that asks the other nodes its rule names before seeding.
    boolean lockless = FormationEngine.asksPeers(backend);
    this.prober =
        lockless
            ? new PeerProber(
                vertx,
                core.nodeName(),
                core.peerPort(),
                core.probeTimeout(),
                config.peerAuth(),
                clock,
                config.peerTls())
            : null;
    this.engine = new FormationEngine(core, backend, local, view, prober, store, metrics, clock);
    metrics.gauges(
        () -> view.snapshot().peers().size(),
        () -> view.snapshot().stale() ? 1 : 0,
        () -> local.state() == NodeState.FORMED ? 1 : 0);
    this.metrics = metrics;
    metrics.buildInfo(version(), config.factory().name());
    metrics.state(
        "muster.phase",
        "phase",
        Arrays.stream(Phase.values()).map(p -> p.name().toLowerCase(Locale.ROOT)).toList(),
        () -> engine.phase().name().toLowerCase(Locale.ROOT));
    metrics.state(
        "muster.decision",
        "action",
        List.of("none", "seed", "join", "rejoin"),
        () -> {
          Decision d = engine.decision().getNow(null);
          return d == null ? "none" : d.action();
        });
    metrics.lastDiscovery(() -> view.snapshot().lastSuccessAt());
    if (config.config().get(CoreKeys.METRICS_JVM)) {
      metrics.jvm();
    }
    Supplier<String> registration =
        backend instanceof Registration r
            ? r::describeRegistration
            : () -> "none (backend does not register)";
    this.cleanup =
        new NodeCleanup(
            config.cleanup(),
            core.nodeName(),
            view,
            local::completed,
            absentFor(config, backend),
            backend instanceof FormationLock lock ? underLock(lock) : NodeCleanup.Guard.NONE);
    metrics.cleanupCandidates(cleanup::candidateCount);
    cleanup.onAbsence(engine::requestRead);
    FileRenderer files =
        new FileRenderer(
            config.render(),
            core.nodeName(),
            config.factory().name(),
            config.exec().readyTimeout());
    this.render = new RenderLoop(files, view, local, config.render().quiescence());
    render.onOutcome(metrics::rendered);
    this.startGate = new StartGate(engine, local, render, config.exec());
    ApiServer.Sources sources =
        new ApiServer.Sources(engine, local, view, metrics, cleanup, startGate);
    StatusView status =
        new StatusView(core, config.config(), sources, prober, registration, files::status);
    this.api = new ApiServer(vertx, core, sources, status, config.apiToken());
    api.onLeave(this::leave);
    this.peerServer =
        lockless ? new PeerServer(vertx, local, config.peerAuth(), clock, config.peerTls()) : null;
    if (backend instanceof ClustererBackend c) {
      declarative(c, status);
    }
  }

  /**
   * Declarative mode: the API serves the config in force and takes a new one; the peer port serves
   * it to other agents; a younger one seen in a peer's answer is fetched from it, stored, and in
   * force here.
   */
  private void declarative(ClustererBackend c, StatusView status) {
    boolean authenticated = config.peerAuth().isPresent() || config.peerTls().isPresent();
    ConfigSpreading spreading =
        new ConfigSpreading(
            c.holder(),
            prober::fetchConfig,
            task -> vertx.executeBlocking(Executors.callable(task), false),
            engine::configChanged,
            authenticated);
    if (!authenticated) {
      LOG.warn(
          "Declarative mode without muster.peer.secret_file or peer TLS: a younger cluster config"
              + " is taken only from the agents of nodes the config in force lists, and the peer"
              + " port does not prove who asks; set a peer secret");
    }
    engine.onAnswers(spreading::seen);
    peerServer.serveConfig(() -> c.inForce().toJson(), spreading::heard);
    prober.tellConfigVersion(() -> c.inForce().version());
    status.declarative(c, spreading);
    api.declarative(c);
  }

  /**
   * formation.md invariant 6: {@code muster.cleanup.absent_for}, else twice the backend's
   * registration TTL, else three poll intervals.
   */
  static Duration absentFor(AgentConfig config, Backend backend) {
    Optional<Duration> ttl =
        backend instanceof Registration r ? r.registrationTtl() : Optional.empty();
    return config
        .cleanup()
        .absentFor()
        .orElseGet(
            () ->
                ttl.map(t -> t.multipliedBy(2))
                    .orElse(config.core().pollInterval().multipliedBy(3)));
  }

  /** A removal on a lock backend runs under the formation lock: one remover per cluster. */
  private static NodeCleanup.Guard underLock(FormationLock lock) {
    return removal -> {
      FormationLock.Held held;
      try {
        FormationLock.LockOutcome outcome =
            lock.acquire().toCompletableFuture().get(2, TimeUnit.MINUTES);
        if (!(outcome instanceof FormationLock.LockOutcome.Acquired a)) {
          return false;
        }
        held = a.lock();
      } catch (Exception e) {
        LOG.warn("Node cleanup could not take the formation lock: {}", rootMessage(e));
        return false;
      }
      try {
        removal.run();
      } finally {
        held.release()
            .toCompletableFuture()
            .orTimeout(30, TimeUnit.SECONDS)
            .exceptionally(
                t -> {
                  LOG.warn("Releasing the formation lock after cleanup failed: {}", rootMessage(t));
                  return null;
                });
      }
      return true;
    };
  }

  /**
   * formation.md v2 step 2: a membership record names the node it was written for. One written for
   * another node (a cloned image, a data dir shared or copied between nodes) would make this node
   * rejoin someone else's cluster, so the agent does not start (exit 2). An unreadable record is
   * left to the formation engine, which fails visibly.
   */
  private static void refuseForeignRecord(MembershipStore store, CoreSettings core) {
    Optional<Membership> record;
    try {
      record = store.read();
    } catch (IllegalStateException e) {
      return;
    }
    if (record.isPresent() && !record.get().node().equals(core.nodeName())) {
      Membership m = record.get();
      throw new ConfigException(
          new ConfigProblem(
              store.file().toString(),
              CoreKeys.NODE_NAME.name(),
              "expected a membership record written for this node ("
                  + core.nodeName()
                  + "), found one written for "
                  + m.node()
                  + " in cluster "
                  + m.clusterId()
                  + " (a cloned image or a shared data dir?): give this node its own"
                  + " muster.data_dir, or move the record away to let it form or join anew"));
    }
  }

  /**
   * Peer TLS: the certificate files are checked every {@code muster.peer.tls.reload_interval}; when
   * one changed (a rotation), the peer port and the prober read them again, without a restart. A
   * rotation writes the certificate and the key one after the other: until the two go together
   * ({@link PeerTls#pairProblem}) nothing is reloaded and the files are looked at again on the next
   * tick, so no handshake ever meets a half-rotated pair. A file that does not load keeps the
   * previous certificates and is logged.
   */
  private void watchTlsFiles() {
    if (peerServer == null || config.peerTls().isEmpty()) {
      return;
    }
    PeerTls tls = config.peerTls().get();
    AtomicReference<String> seen = new AtomicReference<>(tls.stamp());
    AtomicReference<String> waitingFor = new AtomicReference<>("");
    AtomicBoolean checking = new AtomicBoolean();
    vertx.setPeriodic(
        tls.reloadInterval().toMillis(),
        id -> {
          if (!checking.compareAndSet(false, true)) {
            return;
          }
          vertx
              .executeBlocking(
                  () -> {
                    String now = tls.stamp();
                    return now.equals(seen.get())
                        ? Optional.<TlsChange>empty()
                        : Optional.of(new TlsChange(now, tls.pairProblem()));
                  })
              .compose(
                  change -> {
                    if (change.isEmpty()) {
                      return Future.succeededFuture();
                    }
                    Optional<String> problem = change.get().problem();
                    if (problem.isPresent()) {
                      if (!problem.get().equals(waitingFor.getAndSet(problem.get()))) {
                        LOG.warn(
                            "Peer TLS files changed but do not go together yet ({}); the previous"
                                + " certificates stay in use, looking again every {}",
                            problem.get(),
                            tls.reloadInterval());
                      }
                      return Future.succeededFuture();
                    }
                    waitingFor.set("");
                    seen.set(change.get().stamp());
                    return Future.all(peerServer.reloadTls(), prober.reloadTls())
                        .onSuccess(
                            x ->
                                LOG.info(
                                    "Peer TLS files changed; the peer port and probes now use"
                                        + " them ({})",
                                    tls.certFile()))
                        .onFailure(
                            e ->
                                LOG.error(
                                    "Peer TLS files changed but do not load ({}); the previous"
                                        + " certificates stay in use",
                                    rootMessage(e)))
                        .<Void>mapEmpty()
                        .otherwiseEmpty();
                  })
              .onComplete(x -> checking.set(false));
        });
  }

  /** The files' stamp when looked at, and why they cannot be served together, if they cannot. */
  private record TlsChange(String stamp, Optional<String> problem) {}

  /**
   * This build's version ({@code io/muster/version.properties}, filled in by the build), or
   * "development" when the classes run unpackaged without it (an IDE).
   */
  public static String version() {
    try (InputStream in = Agent.class.getResourceAsStream("/io/muster/version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version", "");
        if (!v.isBlank() && !v.startsWith("${")) {
          return v;
        }
      }
    } catch (IOException e) {
      // unreadable: say so below
    }
    return "development";
  }

  /**
   * Starts an agent: binds the API (and the peer port for lockless backends), then starts
   * formation.
   *
   * @throws ConfigException when backend settings do not fit together
   * @throws IllegalStateException when a port cannot be bound
   */
  public static Agent start(AgentConfig config) {
    return start(config, true, false);
  }

  /**
   * Starts an agent whose node {@code muster exec} starts and stops: declarative mode may then have
   * the node's data reset before it joins (when a reset is configured).
   */
  public static Agent startUnderExec(AgentConfig config) {
    return start(config, true, true);
  }

  /**
   * Starts an agent that does not form (no registration, discovery, rendering or cleanup) and binds
   * its API only: {@code muster run --dry-run}, which loads the classes a start loads so that
   * {@code bin/muster-archive} can archive them without joining a real formation.
   */
  public static Agent startIdle(AgentConfig config) {
    return start(config, false, false);
  }

  private static Agent start(AgentConfig config, boolean form, boolean underExec) {
    // locked before anything else reads it: a second agent on the same data dir is exit 2
    DataDir dataDir =
        DataDir.open(
            config.core().dataDir(),
            config.config().origin(CoreKeys.DATA_DIR).orElse(config.config().source()),
            CoreKeys.DATA_DIR.name());
    Vertx vertx;
    try {
      vertx = SidecarVertx.create();
    } catch (RuntimeException e) {
      dataDir.close();
      throw e;
    }
    Agent agent = null;
    try {
      agent = new Agent(config, vertx, dataDir);
      agent.refuseUnsupported();
      agent.listen(form);
    } catch (RuntimeException e) {
      if (agent != null) {
        agent.backend.close();
      }
      vertx.close();
      dataDir.close();
      throw e;
    }
    agent.engine.onDecision(agent.render::signal);
    agent.engine.onExit(agent.exit::complete);
    if (agent.backend instanceof ClustererBackend c) {
      c.resetsNode(underExec && config.exec().canReset());
    }
    if (form) {
      SystemdNotify.fromEnvironment().readyWhen(agent.engine.decision()); // Type=notify units
      agent.watchTlsFiles();
      agent.engine.start();
      agent.render.start();
      agent.cleanup.start();
    }
    return agent;
  }

  /** Settings that only the chosen backend can refuse; before anything is registered or bound. */
  private void refuseUnsupported() {
    if (backend instanceof FixedSeed f
        && f.fixedSeed().isPresent()
        && !config.cleanup().onlyLogWarning()) {
      // formation.md invariant 6: a StatefulSet's pod that is away comes back with its volume
      throw new ConfigException(
          new ConfigProblem(
              config.config().origin(CoreKeys.CLEANUP_ONLY_LOG).orElse(config.config().source()),
              CoreKeys.CLEANUP_ONLY_LOG.name(),
              "expected true: forced removal is off for backends that fix the seed (the"
                  + " StatefulSet ordinal rule), whose absent pods come back with their volumes"));
    }
    StartGate.unsupported(engine, config.exec())
        .ifPresent(
            why -> {
              throw new ConfigException(
                  new ConfigProblem(
                      config
                          .config()
                          .origin(ExecSettings.JOIN_WHEN)
                          .orElse(config.config().source()),
                      ExecSettings.JOIN_WHEN.name(),
                      "expected immediately: " + why));
            });
  }

  /**
   * The peer port could not be bound: when an agent already answers on this node's address under
   * this node's name, it is a twin (formation.md step 2: names are unique). Lockless backends have
   * no registration to make a name unique with, so this is where they find one: exit 2, naming it.
   */
  private void refuseTwin() {
    CoreSettings core = config.core();
    if (prober == null) {
      return;
    }
    NodeInfo twin;
    try {
      twin =
          prober
              .probeAll(Set.of(core.nodeName()))
              .get(core.probeTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS)
              .get(core.nodeName());
    } catch (Exception e) {
      return; // nobody answers as this node: the bind failed for another reason
    }
    if (twin != null) {
      throw exitProblem(
          "expected a node name no other live agent uses, but the agent on "
              + core.nodeName().host()
              + ":"
              + core.peerPort()
              + " already answers for "
              + core.nodeName()
              + " (started "
              + twin.startedAt()
              + ", "
              + twin.state().wire()
              + "): two agents of one name would both take part in formation");
    }
  }

  private void listen(boolean all) {
    CoreSettings core = config.core();
    try {
      apiPort = api.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot listen on "
              + core.apiBind()
              + ":"
              + core.apiPort()
              + " for the API: "
              + rootMessage(e),
          e);
    }
    String peer = "off (backend " + config.factory().name() + " decides without contact points)";
    if (peerServer != null && all) {
      try {
        peerServer
            .listen(core.peerBind(), core.peerPort())
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        refuseTwin();
        throw new IllegalStateException(
            "cannot listen on "
                + core.peerBind()
                + ":"
                + core.peerPort()
                + " for the peer port: "
                + rootMessage(e),
            e);
      }
      peer = core.peerBind() + ":" + core.peerPort();
    }
    String health = "off";
    if (core.healthPort().isPresent() && all) {
      try {
        int port =
            api.listenHealth(core.healthBind(), core.healthPort().get())
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        health = core.healthBind() + ":" + port;
      } catch (Exception e) {
        throw new IllegalStateException(
            "cannot listen on "
                + core.healthBind()
                + ":"
                + core.healthPort().get()
                + " for the health port: "
                + rootMessage(e),
            e);
      }
    }
    LOG.info(
        "Muster agent for {} started: API http://{}:{}, peer port {}, health port {}, backend {},"
            + " config {}",
        core.nodeName(),
        core.apiBind(),
        apiPort,
        peer,
        health,
        config.factory().name(),
        config.config().source());
    config.config().notes().forEach(n -> LOG.info("Config: {}", n));
    config.warnings(backend).forEach(w -> LOG.warn("Config: {}", w));
    if (!config.config().foreignKeys().isEmpty()) {
      LOG.debug(
          "Config keys outside cluster_formation.* and muster.*, ignored: {}",
          config.config().foreignKeys());
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /**
   * Completes with the reason when the agent must stop with exit status 2 though its config loaded
   * (another live agent registered this node's name, formation.md step 2).
   */
  public CompletableFuture<String> exitRequested() {
    return exit;
  }

  /**
   * Completes with the cluster id when the node left its cluster ({@code muster leave}): the agent
   * is to stop, with status 0.
   */
  public CompletableFuture<String> left() {
    return left;
  }

  /** Why {@link #leave} did nothing (the API answers it as 409). */
  public static final class LeaveRefused extends IllegalStateException {
    LeaveRefused(String message) {
      super(message);
    }
  }

  /**
   * {@code muster leave}, a planned decommission: the member node leaves its cluster itself ({@code
   * muster.node.leave_command}, e.g. RabbitMQ's stop_app and reset, which tells its peers), then
   * the agent stops forming and unregisters, removes its membership record (a restart is a blank
   * node, never a rejoin) and completes {@link #left()}. Nothing changes when the node is not a
   * member, when no leave command is set, or when it fails.
   *
   * @return the cluster id it left
   * @throws LeaveRefused saying why nothing was done
   */
  public synchronized String leave() {
    if (left.isDone()) {
      return left.join();
    }
    NodeInfo info = local.info();
    if (info.state() != NodeState.FORMED && info.state() != NodeState.REJOINING) {
      throw new LeaveRefused(
          "this node is not a member of a formed cluster (it is "
              + info.state().wire()
              + "): there is nothing to leave");
    }
    String cluster = info.clusterId();
    Optional<List<String>> cmd = config.exec().leaveCommand();
    if (cmd.isEmpty()) {
      throw new LeaveRefused(
          "set muster.node.leave_command: the node must leave cluster "
              + cluster
              + " itself before its record goes (for RabbitMQ, the tarball's rabbitmq/leave-cluster:"
              + " rabbitmqctl stop_app, then reset)");
    }
    LOG.info(
        "Leaving cluster {} (planned decommission): running {}; next: unregister, remove the"
            + " membership record, stop",
        cluster,
        cmd.get());
    Commands.Result r =
        Commands.run(
            cmd.get(),
            Map.of("MUSTER_NODE", local.self().toString(), "MUSTER_CLUSTER_ID", cluster),
            config.exec().stopTimeout().plusSeconds(60));
    if (!r.ok()) {
      throw new LeaveRefused(
          "muster.node.leave_command failed (exit "
              + r.exit()
              + (r.timedOut() ? ", timed out" : "")
              + "): "
              + r.tail()
              + "; the node is still a member, nothing else was changed");
    }
    engine.stop(); // unregisters from a registration backend
    store.delete();
    LOG.info(
        "Left cluster {}: the node left, the agent stopped forming and unregistered, and the"
            + " membership record is gone; the agent stops now",
        cluster);
    left.complete(cluster);
    return cluster;
  }

  /** The exit-2 problem for a reason {@link #exitRequested()} gave: the node name is taken. */
  public ConfigException exitProblem(String reason) {
    return new ConfigException(
        new ConfigProblem(
            config.config().origin(CoreKeys.NODE_NAME).orElse(config.config().source()),
            CoreKeys.NODE_NAME.name(),
            reason));
  }

  @Override
  public int apiPort() {
    return apiPort;
  }

  @Override
  public Path dataDir() {
    return config.core().dataDir();
  }

  @Override
  public Optional<Path> apiTokenFile() {
    return config.config().find(CoreKeys.API_TOKEN_FILE);
  }

  @Override
  public NodeName node() {
    return local.self();
  }

  /**
   * The node's own list of its cluster members (members command or {@code PUT /v1/members}), the
   * evidence a joiner's completion carries; empty when the node reports none.
   */
  @Override
  public Optional<Set<NodeName>> nodeMembers() {
    return cleanup.reportedMembers();
  }

  @Override
  public AgentMetrics metrics() {
    return metrics;
  }

  @Override
  public FormationEngine engine() {
    return engine;
  }

  public PeerView peers() {
    return view;
  }

  @Override
  public LocalNode local() {
    return local;
  }

  /** When the node may start (GET /health/started). */
  @Override
  public StartGate startGate() {
    return startGate;
  }

  /** The rendered files (empty when none are configured). */
  @Override
  public RenderLoop render() {
    return render;
  }

  /** Stops formation, unregisters, closes servers and clients. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    LOG.info("Stopping the agent for {}", local.self());
    cleanup.close();
    render.close();
    engine.stop();
    try {
      api.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      if (peerServer != null) {
        peerServer.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      LOG.warn("Servers did not close cleanly: {}", rootMessage(e));
    }
    if (prober != null) {
      prober.close();
    }
    backend.close();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Vert.x did not close cleanly: {}", rootMessage(e));
    }
    metrics.close();
    dataDir.close();
    LOG.info("Agent for {} stopped", local.self());
  }
}
