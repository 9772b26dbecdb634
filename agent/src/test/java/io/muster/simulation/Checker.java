package io.muster.simulation;

import io.muster.declarative.ClusterSpec;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.spi.Marker;
import java.util.HashMap;
import java.util.Map;

/**
 * formation.md's invariants, checked after every step of a {@link Sim}: never two live clusters;
 * never a seed once the cluster formed; no node completes into a cluster other than the one its
 * cluster id (and the durable formed marker) names; and liveness: once faults stop, every live
 * agent decides and every live node is up in one cluster within {@link Sim#LIVENESS_MS}.
 *
 * <p>Declarative schedules that apply a younger config version with gospel {@code reset} (the
 * Clusterer resets every node on each such version) retire the running cluster on purpose: every
 * real cluster has the config version its seed decided at (its epoch), and a seed at a younger
 * gospel-reset version is judged by whether every node reset first, not as a seed after formed. The
 * rest stays strict: two live clusters of any versions, a node decided at a younger version in a
 * cluster of an older one, and, once faults stop, one cluster at the newest version.
 */
final class Checker {

  private final Sim sim;
  private int clusters;

  /**
   * Clusters seeded by a decision taken inside a wipe's or restore's documented window
   * (formation.md invariant 10 accepts them), and the real clusters they started: not judged.
   */
  private final java.util.Set<String> windowIds = new java.util.HashSet<>();

  private final java.util.Set<Integer> windowClusters = new java.util.HashSet<>();
  long windowSeeds;
  private final Map<String, Integer> realOfId = new HashMap<>();
  private long formedAt = -1;
  private String formedId;

  /** The config version the formed cluster ({@link #formedId}) was decided at. */
  private long formedEpoch;

  /** Declarative: the config version each real cluster's seed decided at (0 otherwise). */
  private final Map<Integer, Long> epochOf = new HashMap<>();

  /** The config version each seeded cluster id was decided at. */
  private final Map<String, Long> seedVersion = new HashMap<>();

  private String violation;

  Checker(Sim sim) {
    this.sim = sim;
  }

  /**
   * How long after its agent resumes a seed's cluster may still live beside another: the agent
   * confirms its claim at once, stops its node (exec), and the joiners' next completion attempt
   * (every 0.5-1 s) finds the store names another cluster and withdraws them too.
   */
  static final long FENCE_GRACE_MS = 3_000;

  /**
   * The agent whose node started each real cluster ({@code -2 - i}: agent i's node, which gave up
   * joining and started alone).
   */
  private final Map<Integer, Integer> seederOf = new HashMap<>();

  /** When each real cluster started. */
  private final Map<Integer, Long> startedAt = new HashMap<>();

  /** The cluster id each seeded real cluster was started for. */
  private final Map<Integer, String> idOfReal = new HashMap<>();

  /** The real cluster each seeded cluster id started. */
  private final Map<String, Integer> seededReal = new HashMap<>();

  /** Real clusters whose starter's node was stopped and reset out of them (withdrawn). */
  private final java.util.Set<Integer> abandoned = new java.util.HashSet<>();

  /** Agent {@code agent}'s node was stopped and its data reset out of real cluster {@code real}. */
  void left(int agent, int real) {
    Integer seeder = seederOf.get(real);
    if (seeder != null && (seeder == agent || seeder == -2 - agent)) {
      abandoned.add(real);
    }
  }

  /** Real clusters some node completed into. */
  private final java.util.Set<Integer> completedClusters = new java.util.HashSet<>();

  /**
   * A server started a new real cluster (alone), told to seed {@code clusterId} (or null) by agent
   * {@code seeder}.
   */
  int newCluster(String clusterId, int seeder) {
    int real = clusters++;
    seederOf.put(real, seeder);
    // a fallback's node started alone on its agent's join decision: that decision's version
    epochOf.put(
        real,
        clusterId != null
            ? seedVersion.getOrDefault(clusterId, 0L)
            : sim.agents.get(-2 - seeder).core.node().decidedAt());
    startedAt.put(real, sim.now);
    if (clusterId != null) {
      seededReal.put(clusterId, real);
      idOfReal.put(real, clusterId);
    }
    if (clusterId != null && windowIds.contains(clusterId)) {
      windowClusters.add(real);
    }
    return real;
  }

  void published(Sim.Agent agent, Decision d) {
    long version = agent.core.node().decidedAt();
    if (d instanceof Decision.Seed) {
      seedVersion.put(d.clusterId(), version);
    }
    if (d instanceof Decision.Seed && formedAt >= 0 && violation == null && retires(agent)) {
      // a younger gospel-reset version: the formed cluster is retired, but only once every node
      // left it; a seed beside a node that still runs it (or holds its data) makes two clusters
      String stale = notReset(version);
      if (stale != null) {
        violation =
            "seed before every node reset: "
                + agent.name
                + " was told to seed cluster "
                + d.clusterId()
                + " at config version "
                + version
                + " at "
                + sim.now
                + " ms, while "
                + stale;
      }
      return;
    }
    if (d instanceof Decision.Seed && (sim.inWipeWindow(sim.now) || agent.readInWindow)) {
      windowIds.add(d.clusterId());
      windowSeeds++;
      return;
    }
    if (d instanceof Decision.Seed && formedAt >= 0 && violation == null && remembered()) {
      violation =
          "seed after formed: "
              + agent.name
              + " was told to seed cluster "
              + d.clusterId()
              + " at "
              + sim.now
              + " ms, after cluster "
              + formedId
              + " formed at "
              + formedAt
              + " ms";
    }
  }

  /**
   * True when {@code agent} decided at a gospel-reset config version younger than the one the
   * formed cluster was decided at: that version resets every node, so the cluster forms anew.
   */
  private boolean retires(Sim.Agent agent) {
    return agent.spec != null
        && agent.spec.gospel() instanceof ClusterSpec.Reset
        && agent.core.node().decidedAt() == agent.spec.version()
        && agent.spec.version() > formedEpoch;
  }

  /**
   * A node whose data is still a real cluster's of a version older than {@code version} (running
   * it, or not reset yet), or an agent whose data dir still records such a membership; else null.
   */
  private String notReset(long version) {
    for (Sim.Agent a : sim.agents) {
      Sim.Node n = sim.nodes.get(a.index);
      long epoch = epochOf.getOrDefault(n.cluster, 0L);
      if (n.cluster >= 0 && epoch < version) {
        return a.name
            + "'s node "
            + (n.up ? "still runs" : "still holds the data of")
            + " real cluster "
            + n.cluster
            + " of version "
            + epoch;
      }
      if (a.dataDir.isPresent() && a.dataDir.get().configVersion() < version) {
        return a.name
            + " still records cluster "
            + a.dataDir.get().clusterId()
            + " of version "
            + a.dataDir.get().configVersion();
      }
    }
    return null;
  }

  /** {@code agent}'s node joined real cluster {@code real} on its agent's join decision. */
  void joined(Sim.Agent agent, int real) {
    long decided = agent.core.node().decidedAt();
    long epoch = epochOf.getOrDefault(real, 0L);
    if (decided > epoch && violation == null) {
      violation =
          "joined an older version's cluster: "
              + agent.name
              + ", told to join at config version "
              + decided
              + ", joined real cluster "
              + real
              + " of version "
              + epoch
              + " at "
              + sim.now
              + " ms";
    }
  }

  /** Muster exec resets {@code agent}'s node's data before the node starts. */
  void resetBeforeStart(Sim.Agent agent, Sim.Node n) {
    if ((n.up || n.booting) && violation == null) {
      violation =
          "reset of a running node: "
              + agent.name
              + " was to be reset before its node starts, but the node is "
              + (n.up ? "up in real cluster " + n.cluster : "booting")
              + " at "
              + sim.now
              + " ms";
    }
  }

  /**
   * Lockless backends keep no store: what a formed cluster leaves behind is its members' data dirs
   * and the live agents told to join it. True while any of them holds the formed cluster's id, so a
   * seed now is a seed beside a cluster someone still knows of. Once none does (every member lost
   * its data and nobody was told to join it), nothing anywhere tells a new boot from a first one:
   * formation.md documents that limit of lockless backends, and a seed then is not judged. Lock
   * backends keep a durable marker, so for them the cluster is always remembered.
   */
  private boolean remembered() {
    if (sim.scenario.lock()) {
      return true;
    }
    for (Sim.Agent a : sim.agents) {
      if (a.dataDir.map(m -> m.clusterId().equals(formedId)).orElse(false)) {
        return true;
      }
      Decision d = a.alive && a.core != null ? a.core.node().decision() : null;
      if (d != null && formedId.equals(d.clusterId())) {
        return true;
      }
    }
    return false;
  }

  void completed(Sim.Agent agent, Membership m) {
    int real = sim.nodes.get(agent.index).cluster;
    completedClusters.add(real);
    if (windowClusters.contains(real) || windowIds.contains(m.clusterId())) {
      return;
    }
    long epoch = epochOf.getOrDefault(real, 0L);
    if (sim.scenario.declarative() && m.configVersion() != epoch && violation == null) {
      violation =
          "completion across versions: "
              + agent.name
              + " completed into cluster "
              + m.clusterId()
              + " at config version "
              + m.configVersion()
              + ", but its node is in real cluster "
              + real
              + ", formed at version "
              + epoch;
    }
    Integer bound = realOfId.putIfAbsent(m.clusterId(), real);
    if (bound != null && bound != real && violation == null) {
      violation =
          "foreign completion: "
              + agent.name
              + " completed into cluster "
              + m.clusterId()
              + " but its node is in real cluster "
              + real
              + ", not "
              + bound;
    }
    if (sim.scenario.lock()
        && sim.store.marker instanceof Marker.Formed f
        && !f.clusterId().equals(m.clusterId())
        && !windowIds.contains(f.clusterId()) // a cluster seeded in a wipe's window wrote it
        && violation == null) {
      violation =
          "completion against the marker: "
              + agent.name
              + " completed into "
              + m.clusterId()
              + " while the formed marker names "
              + f.clusterId();
    }
    if (formedAt < 0 || epoch > formedEpoch || (!formedId.equals(m.clusterId()) && !remembered())) {
      // the first cluster, the one a younger gospel-reset version formed anew, or (lockless) the
      // one formed after it was forgotten
      formedAt = sim.now;
      formedId = m.clusterId();
      formedEpoch = epoch;
    }
  }

  /** The first invariant broken so far, or null. */
  String violation() {
    if (violation != null) {
      return violation;
    }
    int live = -1;
    for (Sim.Node n : sim.nodes) {
      if (n.up && !windowClusters.contains(n.cluster) && !fenced(n.cluster)) {
        if (live >= 0 && n.cluster != live) {
          violation =
              "two live clusters: real clusters "
                  + live
                  + " and "
                  + n.cluster
                  + " both have nodes up at "
                  + sim.now
                  + " ms";
          return violation;
        }
        live = n.cluster;
      }
    }
    return null;
  }

  /**
   * True for a pending cluster (nobody completed into it) that formation.md invariant 9 lets live
   * for a while beside another: its seed's agent cannot act (paused now, or resumed less than
   * {@link #FENCE_GRACE_MS} ago: its claim may have lapsed and another agent seeded meanwhile; it
   * withdraws once it runs again), or its seed withdrew and its node left it, leaving nodes that
   * joined it before (they withdraw once their agent reads the store's marker). The liveness check
   * ({@link #settled}) gives no such excuse: by then every live node must be in one cluster.
   */
  private boolean fenced(int real) {
    Integer seeder = seederOf.get(real);
    if (seeder == null || completedClusters.contains(real)) {
      return false;
    }
    // a negative seeder is a joiner's node that gave up joining and started alone (RabbitMQ's own
    // fallback, with join retries an operator set shorter than the ready timeout): its completion
    // reports members without the seed, and its agent withdraws it once it runs
    boolean fallback = seeder < 0;
    int starter = fallback ? -2 - seeder : seeder;
    Sim.Agent a = sim.agents.get(starter);
    Sim.Node n = sim.nodes.get(starter);
    long graceFrom = Math.max(a.pausedUntil, fallback ? startedAt.get(real) : 0);
    if (a.paused() || sim.now < graceFrom + FENCE_GRACE_MS || !n.up || n.cluster != real) {
      return true;
    }
    // its seed withdrew (its agent decided otherwise since), even if its node found its way back
    // in through a node that joined it before: all of them withdraw on their next completion
    if (abandoned.contains(real)) {
      // its starter's agent withdrew it (stopped and reset its node): nodes that joined it before
      // withdraw on their next completion, and a node let back in through them (a fallback's
      // starter, told to join a list naming one of them) too
      return true;
    }
    String id = idOfReal.get(real);
    io.muster.formation.Decision now = a.core == null ? null : a.core.node().decision();
    return !fallback && id != null && (now == null || !id.equals(now.clusterId()));
  }

  /** Every live node in one cluster (a documented window's clusters aside), or what is not. */
  private String oneLiveCluster() {
    int live = -1;
    for (Sim.Node n : sim.nodes) {
      if (n.up && !windowClusters.contains(n.cluster)) {
        if (live >= 0 && n.cluster != live) {
          return "liveness: real clusters "
              + live
              + " and "
              + n.cluster
              + " both still have nodes up at "
              + sim.now
              + " ms";
        }
        live = n.cluster;
      }
    }
    return null;
  }

  /**
   * True when the cluster formed and no live node holds its data any more (its members were killed
   * or lost their data): by design nobody seeds it again (formation.md invariants 2 and 10), so
   * only an operator can recover, and liveness is not expected.
   */
  boolean clusterLost() {
    String id = formedId;
    Integer real = id == null ? null : realOfId.get(id);
    if (id == null && sim.scenario.lock() && sim.store.marker instanceof Marker.Formed f) {
      // the seed's formed marker landed, but its agent died before it heard so
      id = f.clusterId();
      real = seededReal.get(id);
    }
    if (real == null || (sim.scenario.bumpsVersion() && formedEpoch < newestVersion())) {
      // a younger gospel-reset version retired it: every node resets and forms anew, so a
      // cluster nobody runs any more is no excuse
      return false;
    }
    for (Sim.Agent a : sim.agents) {
      if (a.alive && sim.nodes.get(a.index).cluster == real) {
        return false;
      }
    }
    return true;
  }

  /**
   * True when no rule may be asked to form a cluster now: the formed cluster was lost (above), or,
   * lockless, fewer agents live than {@code target_cluster_size_hint} asks for (killed while
   * booting): waiting is then what the hint demands.
   */
  boolean livenessExcused() {
    if (clusterLost() || memberNameTaken()) {
      return true;
    }
    if (sim.scenario.lock()) {
      return false;
    }
    long live = sim.agents.stream().filter(a -> a.alive).count();
    return live < Sim.tuning(sim.scenario).targetClusterSize();
  }

  /**
   * A live member lost its registration (a wipe, a partition) and a twin of its name
   * (DUPLICATE_NAME, an operator's error) registered that name meanwhile: the member cannot
   * register again while the twin lives, so a formed cluster may have no registered member for
   * others to join, and they wait (never seeding it again) until an operator removes the twin.
   * Safety is still checked.
   */
  private boolean memberNameTaken() {
    return sim.agents.stream()
        .anyMatch(
            a ->
                a.alive
                    && a.nameLostToTwin
                    && a.core.node().state() == io.muster.formation.NodeState.FORMED);
  }

  /**
   * Another live agent has this agent's node name (DUPLICATE_NAME, an operator's error): when the
   * first of them lost its registration in a partition, the second could take the name, and neither
   * can then be made to finish (the member's re-registration is refused, the blank one finds no
   * member to join). Safety is still checked for both; liveness is not asked of them.
   */
  private boolean sharesItsName(Sim.Agent a) {
    return sim.agents.stream().anyMatch(o -> o != a && o.alive && o.name.equals(a.name));
  }

  /**
   * Null when every live agent decided and every live node is up in one cluster (or the cluster was
   * lost, see {@link #clusterLost}).
   */
  String settled() {
    if (livenessExcused()) {
      return violation();
    }
    for (Sim.Agent a : sim.agents) {
      if (!a.alive || sharesItsName(a)) {
        continue;
      }
      if (a.core.node().decision() == null) {
        return "liveness: "
            + a.name
            + " has not decided by "
            + sim.now
            + " ms ("
            + a.core.status().waitingFor()
            + ")";
      }
      if (!sim.nodes.get(a.index).up) {
        return "liveness: the node of " + a.name + " is not up by " + sim.now + " ms";
      }
    }
    String v = violation();
    if (v == null) {
      v = oneLiveCluster();
    }
    return v != null || !sim.scenario.bumpsVersion() ? v : atNewestVersion();
  }

  /** The youngest config version any agent has in force. */
  private long newestVersion() {
    return sim.agents.stream().mapToLong(a -> a.spec.version()).max().orElse(0);
  }

  /**
   * After a version bump: every live agent runs the newest version, and every live node is in a
   * cluster formed at it (the old one was retired); null when so.
   */
  private String atNewestVersion() {
    long newest = newestVersion();
    for (Sim.Agent a : sim.agents) {
      if (!a.alive || sharesItsName(a)) {
        continue;
      }
      if (a.spec.version() != newest) {
        return "liveness: " + a.name + " still runs config version " + a.spec.version();
      }
      int real = sim.nodes.get(a.index).cluster;
      long epoch = epochOf.getOrDefault(real, 0L);
      if (epoch != newest) {
        return "liveness: the node of "
            + a.name
            + " is in real cluster "
            + real
            + " of config version "
            + epoch
            + ", not one formed at the newest version "
            + newest
            + ", at "
            + sim.now
            + " ms";
      }
    }
    return null;
  }
}
