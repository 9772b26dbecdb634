package io.muster.simulation;

import io.muster.config.CoreSettings.OnExhausted;
import io.muster.declarative.ClusterSpec;
import io.muster.declarative.DeclaredConfig;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.core.Capabilities;
import io.muster.formation.core.CoreLog;
import io.muster.formation.core.CoreTuning;
import io.muster.formation.core.Effect;
import io.muster.formation.core.Event;
import io.muster.formation.core.FormationCore;
import io.muster.formation.core.NodeRecord;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One simulated world: 2-7 agents running the production {@link FormationCore}, the servers beside
 * them, a store with etcd/Consul semantics (or a lockless discovery service), a network, and the
 * faults of a {@link Scenario}. One seeded random source and a virtual clock drive it all: no
 * threads, no sleeps, so the same scenario replays the same run. The {@link Checker} looks at the
 * world after every step.
 */
final class Sim {

  static final long TTL_MS = 3_000;
  static final long KEEPALIVE_MS = TTL_MS / 3;
  static final long KEEPALIVE_RETRY_MS = 500;
  static final long OP_TIMEOUT_MS = 1_500;
  static final long LOCK_TIMEOUT_MS = 4_000;
  static final long PROBE_TIMEOUT_MS = 600;
  static final long STABLE_MARGIN_MS = 1_000;
  static final long JOIN_RETRY_MS = 500;
  static final long READY_TIMEOUT_MS = 12_000;
  static final long REASSERT_MS = 2_000;

  /**
   * formation.md's documented window after a wipe or restore: formed agents notice a lost lease
   * within a keepalive interval and re-assert at once, and re-assert every {@link #REASSERT_MS}
   * anyway. A node that boots blank after it must never seed.
   */
  static final long WIPE_WINDOW_MS = REASSERT_MS + KEEPALIVE_MS;

  /** formation.md's liveness bound: 10 x max(TTL, stable_margin). */
  static final long LIVENESS_MS = 10 * Math.max(TTL_MS, STABLE_MARGIN_MS);

  /** A schedule runs at least this many steps, even when it settles sooner. */
  static final long MIN_STEPS = 200;

  /** The name a ghost prober gives: no agent has it. */
  static final NodeName GHOST = NodeName.parse("rabbit@10.9.9.7");

  static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  final Scenario scenario;
  final SplittableRandom random;
  final Store store = new Store();
  final List<Agent> agents = new ArrayList<>();
  final List<Node> nodes = new ArrayList<>();
  final Checker checker;
  final Trace trace;
  private final PriorityQueue<Step> queue = new PriorityQueue<>();
  private long seq;
  long now;

  /** Events the agents' cores handled. */
  long events;

  /** Steps the world took: every message delivered, timer fired, store operation and fault. */
  long steps;

  final Map<Fault.Kind, Integer> injected = new TreeMap<>();

  /** Formed nodes stopped and reset because a younger gospel-reset version was in force. */
  long formedResets;

  /** Held records of an older version reset before their node started (a restart mid-spread). */
  long heldResets;

  /** With a chooser, the first steps are picked by it (bounded-exhaustive exploration). */
  private final Chooser chooser;

  /** Picks which agent's next step runs (exhaustive mode); -1 leaves it to time order. */
  interface Chooser {
    int pick(int options);
  }

  Sim(Scenario scenario, boolean traced, Chooser chooser) {
    this.scenario = scenario;
    this.random = new SplittableRandom(scenario.seed() ^ 0x5DEECE66DL);
    this.trace = new Trace(traced);
    this.chooser = chooser;
    this.checker = new Checker(this);
  }

  // ---------------------------------------------------------------- scheduling

  /** A step of the world at a time; {@code agent} -1 for the world itself. */
  private static final class Step implements Comparable<Step> {
    final long at;
    final long seq;
    final int agent;
    final Runnable run;

    Step(long at, long seq, int agent, Runnable run) {
      this.at = at;
      this.seq = seq;
      this.agent = agent;
      this.run = run;
    }

    @Override
    public int compareTo(Step o) {
      int c = Long.compare(at, o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  void at(long time, int agent, Runnable run) {
    queue.add(new Step(Math.max(time, now), seq++, agent, run));
  }

  long latency() {
    return 1 + random.nextLong(20);
  }

  // ---------------------------------------------------------------- the run

  /** Runs the scenario to its end; returns the first violation, or null. */
  String run() {
    int n = scenario.agents();
    for (int i = 0; i < n; i++) {
      nodes.add(new Node(i));
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add("rabbit@10.0.0." + (i + 1));
    }
    for (Fault f : scenario.faults()) {
      // lock backends only: a lockless backend has no registration to make names unique with
      // (unique names there: open)
      if (f.kind() == Fault.Kind.DUPLICATE_NAME && n > 1 && scenario.lock()) {
        names.set(f.target(), names.get((f.target() + 1) % n));
      }
    }
    for (int i = 0; i < n; i++) {
      Agent a = new Agent(this, i, NodeName.parse(names.get(i)));
      agents.add(a);
      long visible = random.nextLong(0, 1_500);
      nodes.get(i).visibleAt = chooser == null ? visible : 0;
    }
    for (Agent a : agents) {
      // exhaustive mode: every agent boots at once, so every early step races every other
      long bootAt = chooser == null ? random.nextLong(0, 800) : 0;
      for (Fault f : scenario.faults()) {
        if ((f.kind() == Fault.Kind.STORE_WIPE || f.kind() == Fault.Kind.STORE_RESTORE)
            && f.target() == a.index) {
          bootAt = Math.max(bootAt, f.at() + WIPE_WINDOW_MS + random.nextLong(0, 3_000));
          nodes.get(a.index).visibleAt = bootAt;
        }
      }
      bootAt = outsideEveryWipeWindow(bootAt);
      Optional<Membership> record = Optional.empty();
      for (Fault f : scenario.faults()) {
        // agent 0 never gets one: a world where every agent refuses to start is not a test
        if (f.kind() == Fault.Kind.FOREIGN_RECORD && f.target() == a.index && a.index > 0) {
          record =
              Optional.of(
                  new Membership(
                      NodeName.parse("rabbit@10.9.9.9"),
                      "foreign-cluster",
                      Set.of(NodeName.parse("rabbit@10.9.9.9"), NodeName.parse("rabbit@10.9.9.8")),
                      EPOCH));
          injected.merge(f.kind(), 1, Integer::sum);
        }
      }
      a.dataDir = record;
      at(bootAt, a.index, a::boot);
    }
    if (scenario.lock()) {
      at(2_000, -1, () -> store.snapshot = store.copy());
    }
    for (Fault f : scenario.faults()) {
      at(f.at(), -1, () -> inject(f));
    }
    int picks = 0;
    boolean livenessChecked = false;
    while (!queue.isEmpty()) {
      // faults stop when the schedule ends or when the last one landed, whichever is later (a
      // fault that waits for its moment, such as a member's data loss, may land after the end)
      long checkFrom = Math.max(scenario.faultsEndAt(), lastFaultAt);
      long end = checkFrom + LIVENESS_MS;
      Step s = next(picks++);
      if (s.at > end) {
        // the liveness bound is up: judge it once, then run on only to the minimum depth
        if (!livenessChecked) {
          String v = checker.settled();
          if (v != null) {
            return v;
          }
          livenessChecked = true;
        }
        if (steps >= MIN_STEPS) {
          return checker.violation();
        }
      }
      now = Math.max(now, s.at);
      steps++;
      s.run.run();
      String v = checker.violation();
      if (v != null) {
        return v;
      }
      if (now >= checkFrom
          && steps >= MIN_STEPS
          && !checker.livenessExcused() // then run to the bound: safety is still checked
          && checker.settled() == null) {
        return null; // faults are over, every live agent formed one cluster
      }
    }
    return livenessChecked ? checker.violation() : checker.settled();
  }

  /**
   * The first moment from {@code t} that lies outside every wipe's and restore's documented window:
   * a node that decides inside one may seed beside the live cluster, by design.
   */
  /** True inside a wipe's or restore's documented window ({@link #WIPE_WINDOW_MS}). */
  boolean inWipeWindow(long t) {
    for (Fault f : scenario.faults()) {
      if ((f.kind() == Fault.Kind.STORE_WIPE || f.kind() == Fault.Kind.STORE_RESTORE)
          && t >= f.at()
          && t < f.at() + WIPE_WINDOW_MS) {
        return true;
      }
    }
    // The window lasts until a formed agent re-asserts: with every formed member down (killed,
    // restarting), paused, or cut off from the store, nobody can put the truth back, and
    // formation.md
    // promises nothing then; a member that comes back (or reaches the store again) gets the window
    // afresh (plus a slow link's round trip) to re-assert.
    return truthLostAt >= 0
        && agents.stream()
            .noneMatch(
                a ->
                    a.alive
                        && a.core != null
                        && a.core.node().state() == NodeState.FORMED
                        && t
                                - Math.max(
                                    Math.max(a.aliveSince, a.pausedUntil),
                                    Math.max(a.storeCutUntil, store.downUntil))
                            >= WIPE_WINDOW_MS + 2_000);
  }

  /** Since when the store has lacked the formed marker after a wipe or restore; -1: it has it. */
  long truthLostAt = -1;

  private long outsideEveryWipeWindow(long t) {
    boolean moved = true;
    while (moved) {
      moved = false;
      for (Fault f : scenario.faults()) {
        if ((f.kind() == Fault.Kind.STORE_WIPE || f.kind() == Fault.Kind.STORE_RESTORE)
            && t >= f.at()
            && t < f.at() + WIPE_WINDOW_MS) {
          t = f.at() + WIPE_WINDOW_MS;
          moved = true;
        }
      }
    }
    return t;
  }

  private Step next(int picks) {
    if (chooser == null || picks >= Explorer.EXHAUSTIVE_DEPTH) {
      return queue.poll();
    }
    // Interleavings of what is pending at once (within one message latency of the earliest step:
    // a later step chosen first would be a delay, which is a fault class of its own). Partial-order
    // reduction: steps of one agent keep their order; choose which agent goes next.
    long window = queue.peek().at + 25;
    Map<Integer, Step> firstPerAgent = new TreeMap<>();
    for (Step s : queue) {
      if (s.at > window) {
        continue;
      }
      Step f = firstPerAgent.get(s.agent);
      if (f == null || s.compareTo(f) < 0) {
        firstPerAgent.put(s.agent, s);
      }
    }
    List<Step> options = new ArrayList<>(firstPerAgent.values());
    Step chosen = options.get(options.size() == 1 ? 0 : chooser.pick(options.size()));
    queue.remove(chosen);
    return chosen;
  }

  // ---------------------------------------------------------------- faults

  private void inject(Fault f) {
    Agent a = f.target() >= 0 ? agents.get(f.target()) : null;
    if (a != null
        && (f.kind() == Fault.Kind.PAUSE_PAST_LEASE || f.kind() == Fault.Kind.LONG_STORE_PARTITION)
        && agents.stream().anyMatch(o -> o != a && o.name.equals(a.name))) {
      // Not modelled: a twin taking a name whose first holder is alive but silent past its TTL.
      // The store cannot tell that from a replaced pod, and both nodes then answer to one name,
      // so a node joining "that name" may reach either (RabbitMQ resolves nodes by name).
      return;
    }
    switch (f.kind()) {
      case STORE_PARTITION, LONG_STORE_PARTITION -> {
        a.storeCutUntil = Math.max(a.storeCutUntil, now + f.duration());
        count(f);
      }
      case STORE_OUTAGE -> {
        store.downUntil = Math.max(store.downUntil, now + f.duration());
        // etcd's new leader (and Consul's) resets every lease/session TTL when it takes over:
        // an outage of the whole store does not count against the clients' leases
        store.recovering = true;
        at(store.downUntil, -1, store::expire);
        count(f);
      }
      case SHORT_PAUSE, PAUSE_PAST_LEASE -> {
        if (a.alive || a.core == null) { // a process not started yet starts late
          a.pausedUntil = Math.max(a.pausedUntil, now + f.duration());
          count(f);
        }
      }
      case PEER_PARTITION -> {
        a.peerCutUntil = Math.max(a.peerCutUntil, now + f.duration());
        count(f);
      }
      case SLOW_LINKS -> {
        a.slowUntil = Math.max(a.slowUntil, now + f.duration());
        count(f);
      }
      case PARTIAL_VIEW -> {
        a.partialUntil = Math.max(a.partialUntil, now + f.duration());
        count(f);
      }
      case KILL -> {
        // A node killed while booting stays known to the peers it probed until they forget it as
        // a silent prober (formation.md peer port): lockless peers must then form without it.
        // Lockless, a member that completed is not killed here: with no durable marker, losing
        // every member loses the cluster (DATA_LOSS's class), which is not what KILL tests.
        if (!scenario.lock() && a.alive && a.core.node().state() == NodeState.FORMED) {
          return;
        }
        // never the last agent standing: a world with nobody left is no schedule at all
        long others =
            agents.stream()
                // a twin of the same name may yet exit (unique names): it does not count
                .filter(o -> !o.name.equals(a.name))
                .filter(o -> o.alive || (o.core == null && !o.refusesToStart()))
                .count();
        if (others == 0) {
          return;
        }
        if (a.alive) {
          a.kill();
          nodes.get(a.index).goneAt = now + random.nextLong(0, 1_500);
          count(f);
        }
      }
      case MEMBER_RESTART, DATA_LOSS -> {
        if (!a.alive) {
          return;
        }
        if (a.core.node().state() != NodeState.FORMED || !nodes.get(a.index).up) {
          if (now < scenario.faultsEndAt() + LIVENESS_MS / 2) {
            at(now + 500, -1, () -> inject(f));
          }
          return;
        }
        a.kill();
        if (f.kind() == Fault.Kind.DATA_LOSS) {
          a.dataDir = Optional.empty();
          a.pending = false;
          a.instance += 1_000; // a new data dir, a new instance id
          nodes.get(a.index).cluster = -1;
        }
        at(now + f.duration(), a.index, a::restart);
        count(f);
      }
      case RESTART_UNRESET -> {
        if (a.alive
            && a.core.node().decision() instanceof Decision.Seed
            && a.core.node().state() != NodeState.FORMED
            && nodes.get(a.index).cluster >= 0) {
          a.kill();
          at(now + f.duration(), a.index, a::restart);
          count(f);
        } else if (a.alive && now < 20_000) {
          at(now + 100, -1, () -> inject(f));
        }
      }
      case STORE_WIPE -> {
        store.wipe();
        truthLostAt = now;
        count(f);
      }
      case STORE_RESTORE -> {
        if (store.snapshot != null) {
          store.restore(store.snapshot, now);
          if (!(store.marker instanceof Marker.Formed)) {
            truthLostAt = now;
          }
          count(f);
        }
      }
      case JOIN_FALLBACK -> {
        a.joinFallback = true;
        count(f);
      }
      case DUPLICATE_NAME -> {
        if (scenario.lock()) {
          count(f);
        }
      }
      case FOREIGN_RECORD -> count(f);
      case CLOCK_DRIFT -> {
        // from -20% to +25%, and up to 5 s off: far beyond NTP, to stress every timer
        a.clockRate = 0.8 + random.nextDouble() * 0.45;
        a.clockOffset = random.nextLong(-5_000, 5_000);
        count(f);
      }
      case GHOST_PROBER -> {
        // one request naming a node that does not exist (formation.md peer port: expires)
        if (a.alive && a.core != null) {
          a.probedBy(GHOST);
          count(f);
        } else if (now < 20_000) {
          at(now + 100, -1, () -> inject(f));
          return;
        }
      }
      case RESET_VERSION -> {
        if (!scenario.declarative()) {
          return;
        }
        // the operator applies the next version to one agent; spreading brings it to the others,
        // each at its own time within the fault's duration (dead or alive: a dead agent reads it
        // from its peers or its config file when it comes back)
        long version = agents.stream().mapToLong(o -> o.spec.version()).max().orElseThrow() + 1;
        ClusterSpec next = new ClusterSpec(version, a.spec.nodes(), new ClusterSpec.Reset());
        a.adopt(next);
        for (Agent o : agents) {
          if (o != a) {
            at(now + random.nextLong(f.duration() + 1), o.index, () -> o.adopt(next));
          }
        }
        count(f);
      }
      case ONE_SIDED_VIEW -> {
        int next = (a.index + 1) % scenario.agents();
        // one-sided only: a pair hidden both ways has no way to learn of each other at all
        if (next != a.index && agents.get(next).hidden != a.index) {
          a.hidden = next;
          count(f);
        }
      }
    }
    trace.add(now, -1, "fault " + f);
  }

  private void count(Fault f) {
    injected.merge(f.kind(), 1, Integer::sum);
    lastFaultAt = Math.max(lastFaultAt, now);
  }

  /** When the last fault landed. */
  private long lastFaultAt;

  // ---------------------------------------------------------------- the servers

  /** The server beside an agent (RabbitMQ's behaviour: discovery only on a blank node). */
  final class Node {
    final int index;

    /** The real cluster its data belongs to; -1 while blank. */
    int cluster = -1;

    boolean up;
    boolean booting;
    long bootGeneration;
    long visibleAt;
    long goneAt = Long.MAX_VALUE;

    Node(int index) {
      this.index = index;
    }

    /** Starts booting on a decision (muster exec starts the server once it is published). */
    void start(Agent agent, Decision d) {
      if (booting || up) {
        return;
      }
      booting = true;
      long gen = ++bootGeneration;
      long bootMs = 1_000 + random.nextLong(3_000);
      at(now + bootMs, agent.index, () -> booted(agent, d, gen, 0, now));
    }

    private void booted(Agent agent, Decision d, long gen, int tries, long since) {
      if (gen != bootGeneration || !booting || !agent.alive) {
        return;
      }
      if (cluster >= 0) {
        up(agent); // a node with data boots into its own cluster, whatever it was told
        return;
      }
      if (d instanceof Decision.Seed) {
        cluster = checker.newCluster(d.clusterId(), agent.index);
        up(agent);
        return;
      }
      for (NodeName peer : d.peers()) {
        Node target = nodeNamed(peer);
        if (target != null && target.up && target.cluster >= 0 && !agent.peerCut()) {
          checker.joined(agent, target.cluster);
          cluster = target.cluster;
          up(agent);
          return;
        }
      }
      if (agent.joinFallback && tries >= 4) {
        cluster = checker.newCluster(null, -2 - agent.index); // retries ran out: standalone
        trace.add(now, index, "node gave up joining and started standalone");
        up(agent);
        return;
      }
      if (now - since >= READY_TIMEOUT_MS && !(d instanceof Decision.Rejoin)) {
        // muster exec: the server never became ready; stop it (it never joined: still blank)
        booting = false;
        trace.add(now, index, "node not ready in time; aborting");
        agent.deliver(new Event.AbortRequested(agent.nextRequest()));
        return;
      }
      at(now + JOIN_RETRY_MS, agent.index, () -> booted(agent, d, gen, tries + 1, since));
    }

    private void up(Agent agent) {
      booting = false;
      up = true;
      trace.add(now, index, "node up in real cluster " + cluster);
      // muster exec's readiness probe reports completion
      at(now + 50 + random.nextLong(200), agent.index, () -> agent.completeIfAlive());
    }

    void stop() {
      up = false;
      booting = false;
      bootGeneration++;
    }
  }

  Node nodeNamed(NodeName name) {
    for (Agent a : agents) {
      if (a.name.equals(name) && nodes.get(a.index).up) {
        return nodes.get(a.index);
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- the store

  /** etcd's semantics (Consul's sessions behave alike here): leases, lock queue, marker. */
  final class Store {
    long revision;
    long downUntil;
    boolean recovering; // down since its leases were last extended
    Map<Long, Long> leases = new HashMap<>(); // lease -> expires at
    // name -> {lease, create revision, instance of the agent that put it}
    Map<NodeName, long[]> registrations = new TreeMap<>();
    Map<NodeName, String> claims = new TreeMap<>(); // name -> the cluster its registration claims
    Marker marker = new Marker.None();
    long markerLease;
    long markerCreated; // the revision that created the marker key (a move keeps it)
    long lockHolder; // lease holding the lock, 0 when free
    List<long[]> lockQueue = new ArrayList<>(); // {lease, agent, deadline, ticket}
    Store snapshot;
    long nextLease = 1;

    Store copy() {
      Store s = new Store();
      s.revision = revision;
      s.leases = new HashMap<>(leases);
      s.registrations = new TreeMap<>(registrations);
      s.claims = new TreeMap<>(claims);
      s.marker = marker;
      s.markerLease = markerLease;
      s.markerCreated = markerCreated;
      s.nextLease = nextLease;
      return s;
    }

    void restore(Store from, long at) {
      leases = new HashMap<>();
      from.leases.keySet().forEach(l -> leases.put(l, at + TTL_MS));
      registrations = new TreeMap<>(from.registrations);
      claims = new TreeMap<>(from.claims);
      marker = from.marker;
      markerLease = from.markerLease;
      markerCreated = from.markerCreated;
      failWaiters();
      nextLease = Math.max(nextLease, from.nextLease);
    }

    /** The lock's waiters lose their request with the store's state: their calls fail. */
    private void failWaiters() {
      lockHolder = 0;
      for (long[] w : lockQueue) {
        agents.get((int) w[1]).answerFromStore(w[3], new Event.LockUnknown("store lost its state"));
      }
      lockQueue.clear();
    }

    void wipe() {
      leases.clear();
      registrations.clear();
      claims.clear();
      marker = new Marker.None();
      markerLease = 0;
      failWaiters();
    }

    boolean up() {
      return now >= downUntil;
    }

    /** Drops expired leases and everything bound to them; grants the lock to the next waiter. */
    void expire() {
      if (!up()) {
        return; // a store that is down expires nothing until it is back
      }
      if (recovering) {
        // back from an outage: every lease gets a full TTL from now (a leader's promotion)
        recovering = false;
        leases.replaceAll((l, exp) -> Math.max(exp, now + TTL_MS));
        at(now + TTL_MS, -1, this::expire);
      }
      if (leases.isEmpty()) {
        return;
      }
      List<Long> dead = new ArrayList<>();
      leases.forEach(
          (l, exp) -> {
            if (exp <= now) {
              dead.add(l);
            }
          });
      for (long l : dead) {
        leases.remove(l);
        registrations.entrySet().removeIf(r -> r.getValue()[0] == l);
        claims.keySet().retainAll(registrations.keySet());
        if (markerLease == l) {
          marker = new Marker.None();
          markerLease = 0;
        }
        if (lockHolder == l) {
          lockHolder = 0;
        }
        // a waiter whose lease expired is answered (EtcdLock bounds its wait by lock_timeout)
        lockQueue.removeIf(
            w -> {
              if (w[0] != l) {
                return false;
              }
              agents
                  .get((int) w[1])
                  .answerFromStore(w[3], new Event.LockUnknown("lease expired while waiting"));
              return true;
            });
        trace.add(now, -1, "store: lease " + l + " expired");
      }
      grantNext();
    }

    void grantNext() {
      while (lockHolder == 0 && !lockQueue.isEmpty()) {
        long[] w = lockQueue.remove(0);
        if (!leases.containsKey(w[0])) {
          continue;
        }
        lockHolder = w[0];
        Agent a = agents.get((int) w[1]);
        a.answerFromStore(w[3], new Event.LockAcquired());
      }
    }

    long grantLease() {
      long l = nextLease++;
      leases.put(l, now + TTL_MS);
      at(now + TTL_MS, -1, this::expire);
      return l;
    }

    List<NodeName> registered() {
      List<Map.Entry<NodeName, long[]>> es = new ArrayList<>(registrations.entrySet());
      es.sort((x, y) -> Long.compare(x.getValue()[1], y.getValue()[1]));
      return es.stream().map(Map.Entry::getKey).toList();
    }
  }

  // ---------------------------------------------------------------- the agents

  /** One agent process: the production core, and the effects carried out in this world. */
  static final class Agent {
    final Sim sim;
    final int index;
    final NodeName name;
    FormationCore core;
    boolean alive;
    long aliveSince;
    int incarnation;
    long pausedUntil;
    long storeCutUntil;
    long peerCutUntil;
    long slowUntil;
    long partialUntil;
    boolean joinFallback;
    int hidden = -1; // an agent this one's discovery never shows
    double clockRate = 1.0; // how fast this agent's clock runs against the world's
    long clockOffset; // and how far off it is
    Optional<Membership> dataDir = Optional.empty();

    /**
     * Declarative mode: the cluster config this agent has in force. Kept across a restart and a
     * lost data dir, as the agent keeps the config file it was applied with or spread to.
     */
    ClusterSpec spec;

    /** The marker this agent last read under the lock was read inside a wipe's window. */
    boolean readInWindow;

    /** The data dir records a decision published but never completed (survives a restart). */
    boolean pending;

    /** The instance id its data dir keeps (formation.md step 2); a lost data dir gets a new one. */
    long instance;

    /** It exited with status 2 (its node name is another live agent's) and never runs again. */
    boolean exited;

    long lease; // the backend's lease (0: none)
    long lockLease; // the lock attempt's own lease (0: none)
    Marker.Forming ownForming; // the forming marker this agent wrote and still owns
    long ownFormingCreated; // the revision that created it
    boolean registeredKey;

    /**
     * Its registration was lost (a store wipe, a partition) and a twin of its name registered it
     * meanwhile: its re-registration is refused for as long as the twin lives.
     */
    boolean nameLostToTwin;

    String memberOf; // the cluster id the backend's registration carries (in the process)
    long requests;
    long ticket;
    private final List<Runnable> deferred = new ArrayList<>();

    Agent(Sim sim, int index, NodeName name) {
      this.sim = sim;
      this.index = index;
      this.name = name;
      this.instance = index;
      this.spec = sim.scenario.declarative() ? spec(sim.scenario) : null;
    }

    /**
     * The capabilities its core is built with. Declarative: this agent's own config in force, and a
     * muster exec that resets its node in schedules that bump the version (others keep the reset an
     * operator's, as before).
     */
    Capabilities caps() {
      if (!sim.scenario.declarative()) {
        return Sim.caps(sim.scenario);
      }
      boolean resets =
          sim.scenario.bumpsVersion() && sim.scenario.mutation() != Scenario.Mutation.NO_NODE_RESET;
      DeclaredConfig config =
          new DeclaredConfig() {
            @Override
            public ClusterSpec inForce() {
              return spec;
            }

            @Override
            public boolean resetsNode() {
              return resets;
            }
          };
      return new Capabilities(
          Capabilities.Mode.DECLARATIVE,
          false,
          false,
          Optional.empty(),
          List.of(),
          Optional.of(config));
    }

    /**
     * Declarative mode: a younger config reached this agent; its core is woken as the engine's
     * configChanged() does.
     */
    void adopt(ClusterSpec next) {
      if (next.version() <= spec.version()) {
        return;
      }
      spec = next;
      sim.trace.add(sim.now, index, "adopts cluster config version " + next.version());
      if (alive && core != null) {
        deliver(new Event.Wake());
      }
    }

    /** The time as this agent's own clock tells it. */
    Instant localInstant() {
      return EPOCH.plusMillis(clockOffset + Math.round(sim.now * clockRate));
    }

    long nextRequest() {
      return ++requests;
    }

    boolean paused() {
      return sim.now < pausedUntil;
    }

    boolean storeCut() {
      return sim.now < storeCutUntil || !sim.store.up();
    }

    boolean peerCut() {
      return sim.now < peerCutUntil;
    }

    /** Its data dir holds a record written for another node: the agent exits 2 at start. */
    boolean refusesToStart() {
      return dataDir.isPresent() && !dataDir.get().node().equals(name);
    }

    void boot() {
      if (exited) {
        return;
      }
      if (refusesToStart()) {
        // the agent refuses a record written for another node: exit 2, it never runs
        sim.trace.add(
            sim.now, index, "refuses to start: record written for " + dataDir.get().node());
        return;
      }
      if (pending && dataDir.isEmpty() && sim.nodes.get(index).cluster >= 0) {
        // muster exec resets the data a decision that never completed left behind
        sim.checker.left(index, sim.nodes.get(index).cluster);
        sim.nodes.get(index).cluster = -1;
        sim.trace.add(sim.now, index, "exec resets the node's data of a decision never completed");
      }
      alive = true;
      aliveSince = sim.now;
      incarnation++;
      NodeRecord record = new NodeRecord(name, localInstant());
      core =
          new FormationCore(
              tuning(sim.scenario),
              caps(),
              record,
              new SplittableRandom(sim.random.nextLong()),
              CoreLog.NONE);
      deliver(new Event.Start(dataDir));
      if (sim.scenario.lock()) {
        int inc = incarnation;
        sim.at(sim.now + Math.round(KEEPALIVE_MS / clockRate), index, () -> keepalive(inc));
      }
    }

    void restart() {
      sim.trace.add(sim.now, index, "agent restarts");
      boot();
    }

    void kill() {
      alive = false;
      deferred.clear();
      // what lived in the process: a restart gets a new lease, owns no marker
      lease = 0;
      lockLease = 0;
      registeredKey = false;
      memberOf = null;
      ownForming = null;
      sim.nodes.get(index).stop();
      sim.trace.add(sim.now, index, "agent and node killed");
    }

    void completeIfAlive() {
      if (alive && sim.nodes.get(index).up) {
        // muster exec with a members command: the node's own view of its cluster is the evidence
        int real = sim.nodes.get(index).cluster;
        Set<NodeName> members = new java.util.TreeSet<>();
        for (Agent a : sim.agents) {
          if (sim.nodes.get(a.index).cluster == real && real >= 0) {
            members.add(a.name);
          }
        }
        deliver(new Event.CompleteRequested(nextRequest(), Optional.of(members)));
      }
    }

    /** Feeds an event to the core (held while the process is paused). */
    /** muster exec stops this agent's node and resets its data out of its real cluster. */
    private void stopNodeOutOfItsCluster() {
      Node n = sim.nodes.get(index);
      n.stop();
      sim.checker.left(index, n.cluster);
      n.cluster = -1;
    }

    /**
     * The node's supervisor answers the core 50-350 ms later, unless this agent was killed or
     * restarted meanwhile.
     */
    private void answerLater(java.util.function.Supplier<Event> answer) {
      int inc = incarnation;
      sim.at(
          sim.now + 50 + sim.random.nextLong(300),
          index,
          () -> {
            if (inc == incarnation && alive) {
              deliver(answer.get());
            }
          });
    }

    void deliver(Event e) {
      if (!alive) {
        return;
      }
      if (e instanceof Event.LockUnknown || e instanceof Event.LockNotAcquired) {
        lockLease = 0; // a failed attempt's lease is revoked, or at least no longer kept alive
      }
      if (paused()) {
        int inc = incarnation;
        deferred.add(() -> deliver(e));
        if (deferred.size() == 1) {
          sim.at(pausedUntil, index, () -> resume(inc));
        }
        return;
      }
      if (e instanceof Event.MarkerRead) {
        // a lock holder decides on this read: inside a wipe's window, its seed is excused even
        // when published after a formed agent re-asserted (the claim is then confirmed first)
        readInWindow = sim.inWipeWindow(sim.now);
      }
      sim.events++;
      List<Effect> effects = core.handle(localInstant(), e);
      sim.trace.add(sim.now, index, e, effects);
      for (Effect effect : effects) {
        run(effect);
      }
    }

    private void resume(int inc) {
      if (!alive || inc != incarnation) {
        return;
      }
      if (paused()) {
        sim.at(pausedUntil, index, () -> resume(inc));
        return;
      }
      List<Runnable> todo = new ArrayList<>(deferred);
      deferred.clear();
      todo.forEach(Runnable::run);
    }

    private long linkDelay() {
      return sim.latency() + (sim.now < slowUntil ? 200 + sim.random.nextLong(800) : 0);
    }

    /** Sends an operation to the store; {@code op} runs there and returns the answer. */
    private void toStore(java.util.function.Supplier<Event> op, Event onTimeout) {
      int inc = incarnation;
      long t = nextTicket();
      if (storeCut()) {
        if (onTimeout != null) {
          sim.at(sim.now + OP_TIMEOUT_MS, index, () -> answer(inc, t, onTimeout));
        }
        return;
      }
      sim.at(
          sim.now + linkDelay(),
          -1,
          () -> {
            if (!sim.store.up() || sim.now < storeCutUntil) {
              if (onTimeout != null) {
                sim.at(sim.now + OP_TIMEOUT_MS, index, () -> answer(inc, t, onTimeout));
              }
              return;
            }
            sim.store.expire();
            Event answer = op.get();
            if (answer != null) {
              sim.at(sim.now + linkDelay(), index, () -> answer(inc, t, answer));
            }
          });
    }

    private long nextTicket() {
      return ++ticket;
    }

    private void answer(int inc, long t, Event e) {
      if (inc == incarnation && alive) {
        deliver(e);
      }
    }

    void answerFromStore(long t, Event e) {
      int inc = incarnation;
      sim.at(sim.now + linkDelay(), index, () -> answer(inc, t, e));
    }

    private void keepalive(int inc) {
      if (!alive || inc != incarnation) {
        return;
      }
      if (paused()) {
        // the client's keepalive timer is overdue when the process resumes: it fires then
        sim.at(pausedUntil, index, () -> keepalive(inc));
        return;
      }
      if (storeCut()) {
        // jetcd reopens a broken keepalive stream every 500 ms (KeptLease)
        sim.at(sim.now + KEEPALIVE_RETRY_MS, index, () -> keepalive(inc));
        return;
      }
      Store s = sim.store;
      s.expire();
      if (lockLease != 0 && s.leases.containsKey(lockLease)) {
        s.leases.put(lockLease, sim.now + TTL_MS);
        sim.at(sim.now + TTL_MS, -1, s::expire);
      }
      if (lease != 0 && s.leases.containsKey(lease)) {
        s.leases.put(lease, sim.now + TTL_MS);
        sim.at(sim.now + TTL_MS, -1, s::expire);
      } else if (lease != 0 && registeredKey) {
        // The backend re-registers by itself when its lease was lost (NodeRegistration), never
        // over another live instance's key: it then retries until that one lapses.
        if (heldByAnother(s, s.registrations.get(name))) {
          sim.trace.add(sim.now, index, "re-registration refused: the name is another's");
          nameLostToTwin = true;
          sim.at(sim.now + KEEPALIVE_MS, index, () -> keepalive(inc));
          return;
        }
        lease = s.grantLease();
        s.registrations.put(name, new long[] {lease, ++s.revision, instance});
        claim(s);
        sim.trace.add(sim.now, index, "backend re-registered under lease " + lease);
        nameLostToTwin = false;
        reattachForming(s);
        deliver(new Event.Wake());
      }
      sim.at(sim.now + Math.round(KEEPALIVE_MS / clockRate), index, () -> keepalive(inc));
    }

    /**
     * MarkerStore.reattach after a re-registration: this agent's forming marker moves to the new
     * lease if it is still there (its key is not re-created); one that went is never put back
     * (after a gap, another agent may have seeded: the seed's confirmation then withdraws it).
     */
    private void reattachForming(Store s) {
      if (ownForming == null) {
        return;
      }
      if (s.marker.equals(ownForming)) {
        s.markerLease = lease;
      } else {
        ownForming = null;
      }
    }

    /** {@code reg} is a live registration another agent instance put. */
    private boolean heldByAnother(Store s, long[] reg) {
      return reg != null && reg[2] != instance && reg[0] != lease && s.leases.containsKey(reg[0]);
    }

    /** The registration carries the cluster this agent's node is a member of (if any). */
    private void claim(Store s) {
      if (memberOf != null) {
        s.claims.put(name, memberOf);
      } else {
        s.claims.remove(name);
      }
    }

    private void run(Effect effect) {
      Store s = sim.store;
      Scenario.Mutation m = sim.scenario.mutation();
      if (effect instanceof Effect.Register) {
        toStore(
            () -> {
              long[] old = s.registrations.get(name);
              if (heldByAnother(s, old)) {
                // put-if-absent or over its own instance's key (NodeRegistration)
                return new Event.NameTaken(
                    "sim: " + name + " held by instance " + old[2], Duration.ofMillis(TTL_MS));
              }
              if (lease == 0 || !s.leases.containsKey(lease)) {
                lease = s.grantLease();
              }
              s.registrations.put(
                  name, new long[] {lease, old != null ? old[1] : ++s.revision, instance});
              claim(s);
              registeredKey = true;
              return new Event.Registered("sim lease " + lease);
            },
            new Event.RegisterFailed("no answer"));
      } else if (effect instanceof Effect.Discover) {
        if (sim.scenario.lock()) {
          toStore(
              () ->
                  new Event.Discovered(
                      new DiscoveryResult.Peers(
                          s.registered(),
                          List.of(),
                          m == Scenario.Mutation.SKIP_MARKER_READ
                              ? Map.of()
                              : Map.copyOf(s.claims))),
              new Event.Discovered(
                  new DiscoveryResult.Failure(DiscoveryResult.Kind.TIMEOUT, "no answer")));
        } else {
          List<NodeName> seen = sim.lockelessView(this);
          int inc = incarnation;
          long t = nextTicket();
          sim.at(
              sim.now + linkDelay(),
              index,
              () -> answer(inc, t, new Event.Discovered(new DiscoveryResult.Peers(seen))));
        }
      } else if (effect instanceof Effect.AcquireLock) {
        toStore(
            () -> {
              if (lease == 0 || !s.leases.containsKey(lease)) {
                return new Event.LockUnknown("lease not found");
              }
              // etcd's Lock RPC on a lease of its own, kept alive while held (EtcdLock)
              long ll = s.grantLease();
              lockLease = ll;
              if (s.lockHolder == 0 || m == Scenario.Mutation.NO_EXCLUSION) {
                s.lockHolder = ll;
                return new Event.LockAcquired();
              }
              long t = ticket;
              long[] w = {ll, index, sim.now + LOCK_TIMEOUT_MS, t};
              s.lockQueue.add(w);
              int inc = incarnation;
              sim.at(
                  sim.now + LOCK_TIMEOUT_MS,
                  -1,
                  () -> {
                    if (s.lockQueue.remove(w)) {
                      s.leases.remove(ll);
                      sim.at(
                          sim.now + linkDelay(),
                          index,
                          () -> answer(inc, t, new Event.LockNotAcquired("lock_timeout")));
                    }
                  });
              return null; // answered when granted
            },
            new Event.LockUnknown("no answer"));
      } else if (effect instanceof Effect.ReadMarker) {
        toStore(
            () ->
                new Event.MarkerRead(
                    m == Scenario.Mutation.SKIP_MARKER_READ ? new Marker.None() : s.marker),
            new Event.StoreFailed("no answer"));
      } else if (effect instanceof Effect.WriteForming w) {
        toStore(
            () -> {
              if (lease == 0 || !s.leases.containsKey(lease)) {
                return new Event.StoreFailed("lease not found");
              }
              // MarkerStore.markForming: put if absent, or if it is this very marker already
              // MarkerStore.markForming: put if absent, or over this agent's own earlier claim
              // (a forming marker bound to the lease this agent holds)
              if (!(s.marker instanceof Marker.None)
                  && !s.marker.equals(w.marker())
                  && !(s.marker instanceof Marker.Forming && s.markerLease == lease)
                  && m != Scenario.Mutation.NO_EXCLUSION) {
                return new Event.StoreFailed("another formation marker is in place");
              }
              if (m != Scenario.Mutation.NO_FORMING_MARKER) {
                if (!s.marker.equals(w.marker())) {
                  s.markerCreated = ++s.revision;
                }
                s.marker = w.marker();
                s.markerLease = lease;
              }
              ownForming = w.marker();
              ownFormingCreated = s.markerCreated;
              return new Event.FormingWritten();
            },
            new Event.StoreFailed("no answer"));
      } else if (effect instanceof Effect.ReleaseLock) {
        long ll = lockLease;
        lockLease = 0; // released or not, its lease is no longer kept alive
        toStore(
            () -> {
              s.leases.remove(ll);
              if (s.lockHolder == ll) {
                s.lockHolder = 0;
                s.grantNext();
              }
              return new Event.LockReleased(Optional.empty());
            },
            new Event.LockReleased(Optional.of("no answer")));
      } else if (effect instanceof Effect.WriteFormed w) {
        toStore(
            () -> {
              // MarkerStore.markFormed: put if absent or still our forming marker; done when the
              // marker then names our cluster (so a retry after a lost answer succeeds)
              if (s.marker instanceof Marker.None
                  || (s.marker instanceof Marker.Forming f
                      && f.seed().equals(name)
                      && f.clusterId().equals(w.marker().clusterId()))) {
                s.marker = w.marker();
                s.markerLease = 0;
                sim.truthLostAt = -1;
              }
              if (s.marker instanceof Marker.Formed f
                  && f.clusterId().equals(w.marker().clusterId())) {
                ownForming = null;
                return new Event.FormedWritten(w.request());
              }
              return new Event.FormedWriteFailed(
                  w.request(), "could not write the formed marker: it holds " + s.marker);
            },
            new Event.FormedWriteFailed(w.request(), "no answer"));
      } else if (effect instanceof Effect.ReassertFormed r) {
        toStore(
            () -> {
              // the backend checks its own registration carries its cluster id too (a restore may
              // bring back an older value under the same, still live lease)
              if (memberOf != null
                  && s.registrations.containsKey(name)
                  && s.registrations.get(name)[0] == lease) {
                s.claims.put(name, memberOf);
              }
              // MarkerStore.reassertFormed: over no marker or any forming one (a cluster formed:
              // nobody may seed beside it, and a claim there is stale or must withdraw)
              if (s.marker instanceof Marker.None || s.marker instanceof Marker.Forming) {
                s.marker = r.marker();
                s.markerLease = 0;
                sim.truthLostAt = -1;
              }
              return new Event.FormedReasserted(s.marker);
            },
            new Event.ReassertFailed("no answer"));
      } else if (effect instanceof Effect.ConfirmClaim c) {
        toStore(
            () -> {
              // EtcdBackend.confirmClaim: keepAliveOnce on the lease, then read the marker
              if (lease == 0 || !s.leases.containsKey(lease)) {
                return new Event.ClaimChecked(
                    new FormationLock.ClaimState(s.marker, false, Duration.ZERO));
              }
              s.leases.put(lease, sim.now + TTL_MS);
              sim.at(sim.now + TTL_MS, -1, s::expire);
              boolean held =
                  m == Scenario.Mutation.NO_EXCLUSION
                      || s.marker.equals(c.claim())
                          && c.claim().equals(ownForming)
                          && s.markerLease == lease
                          && s.markerCreated == ownFormingCreated;
              return new Event.ClaimChecked(
                  new FormationLock.ClaimState(s.marker, held, Duration.ofMillis(TTL_MS)));
            },
            new Event.ClaimCheckFailed("no answer"));
      } else if (effect instanceof Effect.VerifyJoin v) {
        toStore(
            () -> new Event.JoinChecked(v.request(), Optional.of(s.marker), null),
            new Event.JoinChecked(v.request(), Optional.empty(), "no answer"));
      } else if (effect instanceof Effect.Withdraw) {
        // muster exec: stop the node, reset its fresh data (it never completed), then abort
        stopNodeOutOfItsCluster();
        answerLater(() -> new Event.AbortRequested(nextRequest()));
      } else if (effect instanceof Effect.ResetFormed) {
        // muster exec: stop the node, reset its data, remove the membership record, then tell the
        // agent, which decides again as a fresh node
        if (sim.scenario.mutation() != Scenario.Mutation.RESET_KEEPS_NODE) {
          stopNodeOutOfItsCluster();
        }
        dataDir = Optional.empty();
        pending = false;
        sim.formedResets++;
        answerLater(() -> new Event.FormedNodeReset(nextRequest()));
      } else if (effect instanceof Effect.ResetNode) {
        // muster exec resets the data of a record the agent will not rejoin, before the node
        // starts; resetting a running node would pull it out of its cluster unseen
        Node n = sim.nodes.get(index);
        sim.checker.resetBeforeStart(this, n);
        if (n.cluster >= 0) {
          sim.checker.left(index, n.cluster);
        }
        n.cluster = -1;
        dataDir = Optional.empty();
        pending = false;
        sim.heldResets++;
      } else if (effect instanceof Effect.ClearForming c) {
        toStore(
            () -> {
              if (s.marker instanceof Marker.Forming f && f.seed().equals(name)) {
                s.marker = new Marker.None();
                s.markerLease = 0;
              }
              ownForming = null;
              return new Event.FormingCleared(c.request(), Optional.empty());
            },
            new Event.FormingCleared(c.request(), Optional.of("no answer")));
      } else if (effect instanceof Effect.MarkMember mm) {
        memberOf = mm.clusterId();
        // the request carries the cluster id and the lease it was sent under, whatever the agent
        // does before it lands (killed and restarted: a later process's registration is not its)
        String member = mm.clusterId();
        long sentUnder = lease;
        toStore(
            () -> {
              if (s.registrations.containsKey(name)
                  && s.registrations.get(name)[0] == sentUnder
                  && s.leases.containsKey(sentUnder)) {
                s.claims.put(name, member);
              }
              return null;
            },
            null);
      } else if (effect instanceof Effect.Unregister) {
        toStore(
            () -> {
              s.registrations.remove(name);
              s.claims.remove(name);
              s.leases.remove(lease);
              return null;
            },
            null);
      } else if (effect instanceof Effect.Probe p) {
        sim.probe(this, p.targets());
      } else if (effect instanceof Effect.ArmTimer t) {
        int inc = incarnation;
        sim.at(
            sim.now + Math.round(t.delay().toMillis() / clockRate),
            index,
            () -> {
              if (inc == incarnation) {
                deliver(new Event.TimerFired(t.timer()));
              }
            });
      } else if (effect instanceof Effect.Publish p) {
        pending = !(p.decision() instanceof Decision.Rejoin);
        sim.checker.published(this, p.decision());
        sim.nodes.get(index).start(this, p.decision());
      } else if (effect instanceof Effect.WriteMembership w) {
        dataDir = Optional.of(w.membership());
        pending = false;
        if (w.reply() != 0) {
          sim.checker.completed(this, w.membership());
        }
      } else if (effect instanceof Effect.Exit x) {
        sim.trace.add(sim.now, index, "exits with status 2: " + x.reason());
        kill();
        exited = true;
      } else if (effect instanceof Effect.ReplyFailed || effect instanceof Effect.Refuse) {
        // muster exec's Completion retries a completion the backend failed
        sim.at(sim.now + 500 + sim.random.nextLong(500), index, this::completeIfAlive);
      }
      // WatchPeers, CloseWatch, PublishPeers, Retract, Reply, Fail: nothing to carry out
      // in this world (the checker reads the core's state directly).
    }

    /** The answer this agent's peer port gives {@code from}. */
    NodeInfo probedBy(NodeName from) {
      Scenario.Mutation m = sim.scenario.mutation();
      NodeInfo info =
          m == Scenario.Mutation.IGNORE_PROBERS
              ? core.node().info()
              : core.answerProbe(from, localInstant());
      if (m == Scenario.Mutation.HIDE_FORMED && info.state() == NodeState.FORMED) {
        return new NodeInfo(
            info.node(),
            NodeState.BOOTING,
            null,
            Set.of(),
            info.startedAt(),
            null,
            info.discovered());
      }
      if (m == Scenario.Mutation.HIDE_FORMED_AT && info.specFormedAt() != 0) {
        return new NodeInfo(
            info.node(),
            info.state(),
            info.clusterId(),
            info.members(),
            info.startedAt(),
            info.formedAt(),
            info.discovered(),
            info.knowsOf(),
            info.specVersion(),
            info.specDigest(),
            info.specVersion());
      }
      return info;
    }
  }

  /** What a lockless backend (DNS/AWS/k8s) shows {@code a} now: lagging, partial, disjoint. */
  List<NodeName> lockelessView(Agent a) {
    List<NodeName> seen = new ArrayList<>();
    for (Agent other : agents) {
      Node n = nodes.get(other.index);
      long lag = (other.index * 7919L + a.index * 104729L) % 700;
      boolean visible =
          now >= n.visibleAt + lag && (n.goneAt == Long.MAX_VALUE || now < n.goneAt + lag);
      if (other.index == a.hidden) {
        visible = false;
      }
      if (visible && now < a.partialUntil && other != a && random.nextInt(2) == 0) {
        visible = false;
      }
      if (visible && !seen.contains(other.name)) {
        seen.add(other.name);
      }
    }
    return seen;
  }

  /** One probe round of {@code from}: every reachable target answers at its own time. */
  void probe(Agent from, Set<NodeName> targets) {
    Map<NodeName, NodeInfo> answers = new TreeMap<>();
    int inc = from.incarnation;
    for (NodeName t : targets) {
      long there = now + latency();
      at(
          there,
          -1,
          () -> {
            for (Agent a : agents) {
              if (a.name.equals(t)
                  && a.alive
                  && !a.paused()
                  && !a.peerCut()
                  && !from.peerCut()
                  && a.core != null
                  && from.alive) {
                answers.put(t, a.probedBy(from.name));
                break;
              }
            }
          });
    }
    at(
        now + 25 + random.nextLong(PROBE_TIMEOUT_MS - 25),
        from.index,
        () -> {
          if (from.incarnation == inc && from.alive) {
            from.deliver(new Event.Probed(Map.copyOf(answers)));
          }
        });
  }

  Instant instant() {
    return EPOCH.plusMillis(now);
  }

  static CoreTuning tuning(Scenario s) {
    boolean noMargin = s.mutation() == Scenario.Mutation.NO_STABLE_MARGIN;
    return new CoreTuning(
        s.lock() ? "etcd" : "dns",
        10,
        Duration.ofMillis(500),
        s.lock() ? 1 : (noMargin ? 1 : s.agents()),
        Duration.ofMillis(noMargin ? 0 : STABLE_MARGIN_MS),
        OnExhausted.WAIT,
        Duration.ofMillis(1_000),
        Duration.ofMillis(REASSERT_MS),
        Duration.ofMillis(PROBE_TIMEOUT_MS));
  }

  /** A lock or lockless scenario's capabilities (declarative agents build their own). */
  static Capabilities caps(Scenario s) {
    return s.lock()
        ? new Capabilities(Capabilities.Mode.LOCK, true, true, Optional.empty())
        : new Capabilities(Capabilities.Mode.CONTACT_POINTS, false, false, Optional.empty());
  }

  /**
   * A declarative scenario's config: every agent's node, disc; gospel {@code reset} for one seed in
   * three, else the node of an agent the seed picks.
   */
  static ClusterSpec spec(Scenario s) {
    SortedMap<NodeName, ClusterSpec.NodeType> nodes = new TreeMap<>();
    for (int i = 0; i < s.agents(); i++) {
      nodes.put(NodeName.parse("rabbit@10.0.0." + (i + 1)), ClusterSpec.NodeType.DISC);
    }
    long pick = Math.floorMod(s.seed(), 3L * s.agents());
    ClusterSpec.Gospel gospel =
        pick < s.agents()
            ? new ClusterSpec.Reset()
            : new ClusterSpec.FromNode(NodeName.parse("rabbit@10.0.0." + (pick % s.agents() + 1)));
    return new ClusterSpec(1, nodes, gospel);
  }
}
