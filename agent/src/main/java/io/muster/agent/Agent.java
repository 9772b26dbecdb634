package io.muster.agent;

import io.muster.api.ApiServer;
import io.muster.api.PeerServer;
import io.muster.cleanup.NodeCleanup;
import io.muster.config.ConfigException;
import io.muster.config.ConfigProblem;
import io.muster.config.CoreKeys;
import io.muster.config.CoreSettings;
import io.muster.exec.ExecSettings;
import io.muster.exec.StartGate;
import io.muster.formation.FormationEngine;
import io.muster.formation.LocalNode;
import io.muster.formation.Membership;
import io.muster.formation.MembershipStore;
import io.muster.formation.NodeState;
import io.muster.formation.PeerProber;
import io.muster.formation.PeerView;
import io.muster.metrics.AgentMetrics;
import io.muster.render.FileRenderer;
import io.muster.render.RenderLoop;
import io.muster.spi.Backend;
import io.muster.spi.NodeName;
import io.muster.spi.Registration;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running agent: backend, formation engine, API and (lockless) peer port. */
public final class Agent implements AutoCloseable {

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
  private final NodeCleanup cleanup;
  private final RenderLoop render;
  private final AtomicBoolean closed = new AtomicBoolean();
  private int apiPort;

  private Agent(AgentConfig config, Vertx vertx) {
    this.config = config;
    this.vertx = vertx;
    CoreSettings core = config.core();
    Clock clock = Clock.systemUTC();
    MembershipStore store = new MembershipStore(core.dataDir());
    refuseForeignRecord(store, core); // before anything connects
    this.backend = config.createBackend(vertx);
    this.local = new LocalNode(core.nodeName(), clock);
    this.view = new PeerView(clock);
    AgentMetrics metrics = new AgentMetrics();
    // Contact points (and so the peer port) only for lockless backends that do not fix the seed.
    boolean lockless = FormationEngine.usesContactPoints(backend);
    this.prober =
        lockless
            ? new PeerProber(vertx, core.nodeName(), core.peerPort(), core.probeTimeout())
            : null;
    this.engine = new FormationEngine(core, backend, local, view, prober, store, metrics, clock);
    metrics.gauges(
        () -> view.snapshot().peers().size(),
        () -> view.snapshot().stale() ? 1 : 0,
        () -> local.state() == NodeState.FORMED ? 1 : 0);
    Supplier<String> registration =
        backend instanceof Registration r
            ? r::describeRegistration
            : () -> "none (backend does not register)";
    this.cleanup =
        new NodeCleanup(
            config.cleanup(), core.nodeName(), view, () -> local.state() == NodeState.FORMED);
    metrics.cleanupCandidates(cleanup::candidateCount);
    FileRenderer files =
        new FileRenderer(
            config.render(),
            core.nodeName(),
            config.factory().name(),
            config.exec().readyTimeout());
    this.render = new RenderLoop(files, view, local, config.render().quiescence());
    this.startGate = new StartGate(engine, local, render, config.exec());
    this.api =
        new ApiServer(
            vertx,
            core,
            config.config(),
            engine,
            local,
            view,
            prober,
            metrics,
            registration,
            cleanup,
            files::status,
            startGate);
    this.peerServer = lockless ? new PeerServer(vertx, local) : null;
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
   * Starts an agent: binds the API (and the peer port for lockless backends), then starts
   * formation.
   *
   * @throws ConfigException when backend settings do not fit together
   * @throws IllegalStateException when a port cannot be bound
   */
  public static Agent start(AgentConfig config) {
    Vertx vertx = Vertx.vertx();
    Agent agent = null;
    try {
      agent = new Agent(config, vertx);
      agent.refuseUnsupported();
      agent.listen();
    } catch (RuntimeException e) {
      if (agent != null) {
        agent.backend.close();
      }
      vertx.close();
      throw e;
    }
    agent.engine.onDecision(agent.render::signal);
    agent.engine.start();
    agent.render.start();
    agent.cleanup.start();
    return agent;
  }

  /** Settings that only the chosen backend can refuse; before anything is registered or bound. */
  private void refuseUnsupported() {
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

  private void listen() {
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
    if (peerServer != null) {
      try {
        peerServer
            .listen(core.peerBind(), core.peerPort())
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
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
    if (core.healthPort().isPresent()) {
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

  public int apiPort() {
    return apiPort;
  }

  public NodeName node() {
    return local.self();
  }

  /**
   * The node's own list of its cluster members (members command or {@code PUT /v1/members}), the
   * evidence a joiner's completion carries; empty when the node reports none.
   */
  public java.util.Optional<java.util.Set<NodeName>> nodeMembers() {
    return cleanup.reportedMembers();
  }

  public FormationEngine engine() {
    return engine;
  }

  public PeerView peers() {
    return view;
  }

  public LocalNode local() {
    return local;
  }

  /** When the node may start (GET /health/started). */
  public StartGate startGate() {
    return startGate;
  }

  /** The rendered files (empty when none are configured). */
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
    LOG.info("Agent for {} stopped", local.self());
  }
}
