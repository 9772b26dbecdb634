package io.muster.simulation;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A schedule's plan, all of it derived from one seed: the backend model, how many agents, when each
 * boots, and the faults. The same scenario replays the same run, event for event.
 *
 * @param seed drives every random choice of the run
 * @param lock a lock backend (etcd/Consul semantics) or a lockless one (DNS/AWS/k8s-like)
 * @param agents how many agents
 * @param faults what goes wrong, in time order
 * @param mutation a deliberately broken variant, to test the checker (NONE in real runs)
 * @param declarative lockless, deciding by a declarative cluster config that lists every agent (the
 *     Clusterer's model): gospel {@code reset} or one agent's node, drawn from the seed
 */
record Scenario(
    long seed,
    boolean lock,
    int agents,
    List<Fault> faults,
    Mutation mutation,
    boolean declarative) {

  /** Deliberately broken variants of the rules or the store, each of which must be caught. */
  enum Mutation {
    NONE,
    /**
     * The decision under the lock sees none of the store's formation state: the marker read always
     * says none, and registrations claim no cluster (lock).
     */
    SKIP_MARKER_READ,
    /**
     * The store grants the lock to everyone at once, writes {@code forming} blindly, and proves
     * every claim (lock). Any one guard alone keeps one seed: the lock, markForming's
     * put-if-absent, or the claim's confirmation (a seed whose marker was overwritten withdraws).
     */
    NO_EXCLUSION,
    /** The forming marker is never written (lock). */
    NO_FORMING_MARKER,
    /** Agents answer probes without recording the prober (lockless). */
    IGNORE_PROBERS,
    /** Agents seed without waiting for the stable margin, on lagging views (lockless). */
    NO_STABLE_MARGIN,
    /** A formed peer answers as booting (lockless). */
    HIDE_FORMED,
    /**
     * Muster exec reports a formed node reset for a younger gospel-reset version, but leaves it
     * running in its old cluster (declarative).
     */
    RESET_KEEPS_NODE,
    /**
     * Muster exec cannot reset the node: a formed node of an older version stays as it is, and the
     * cluster never forms at the newest version (declarative).
     */
    NO_NODE_RESET,
    /**
     * A formed peer answers that its membership was decided at the version in force, not the one it
     * formed at, so its old cluster looks like the new version's (declarative).
     */
    HIDE_FORMED_AT;

    /** Broken variants of declarative mode's version bumps, run on declarative schedules. */
    boolean declarative() {
      return this == RESET_KEEPS_NODE || this == NO_NODE_RESET || this == HIDE_FORMED_AT;
    }
  }

  Scenario {
    faults = List.copyOf(faults);
    if (declarative && lock) {
      throw new IllegalArgumentException("declarative mode has no lock backend");
    }
  }

  Scenario(long seed, boolean lock, int agents, List<Fault> faults, Mutation mutation) {
    this(seed, lock, agents, faults, mutation, false);
  }

  Scenario withFaults(List<Fault> f) {
    return new Scenario(seed, lock, agents, f, mutation, declarative);
  }

  /** The same schedule deciding by a declarative config (lockless only). */
  Scenario declared() {
    return new Scenario(seed, false, agents, faults, mutation, true);
  }

  /** {@code lock}, {@code lockless} or {@code declarative}, as traces and replays write it. */
  String model() {
    return lock ? "lock" : declarative ? "declarative" : "lockless";
  }

  /** A declarative schedule that applies a younger config version (gospel reset) on the way. */
  boolean bumpsVersion() {
    return declarative && faults.stream().anyMatch(f -> f.kind() == Fault.Kind.RESET_VERSION);
  }

  /** When the last fault ends. */
  long faultsEndAt() {
    return faults.stream().mapToLong(f -> f.at() + f.duration()).max().orElse(0);
  }

  /**
   * A random scenario from {@code seed}: 2-7 agents, 1-4 faults of the given kinds (each fault's
   * probability swept per run by the seed).
   */
  static Scenario random(long seed, boolean lock, Set<Fault.Kind> kinds, Mutation mutation) {
    return random(seed, lock, false, kinds, mutation);
  }

  /**
   * A random declarative scenario from {@code seed}: the lockless one of that seed, and, when
   * {@code kinds} holds {@link Fault.Kind#RESET_VERSION}, in one schedule of two a gospel-reset
   * version bump besides, sometimes two (drawn after the others, so the other faults stay those of
   * the seed).
   */
  static Scenario randomDeclarative(long seed, Set<Fault.Kind> kinds, Mutation mutation) {
    return random(seed, false, true, kinds, mutation);
  }

  private static Scenario random(
      long seed, boolean lock, boolean declarative, Set<Fault.Kind> kinds, Mutation mutation) {
    SplittableRandom r = new SplittableRandom(seed);
    int agents = 2 + r.nextInt(6);
    List<Fault.Kind> usable = new ArrayList<>();
    for (Fault.Kind k : kinds) {
      if ((lock ? !k.locklessOnly() : !k.lockOnly()) && !k.declarativeOnly()) {
        usable.add(k);
      }
    }
    List<Fault> faults = new ArrayList<>();
    if (!usable.isEmpty()) {
      // the first fault is one that always lands, when the classes allow: every schedule then
      // injects at least one (a restart waits for its target to have formed, and may not)
      List<Fault.Kind> certain = usable.stream().filter(Fault.Kind::alwaysLands).toList();
      int n = 1 + r.nextInt(4);
      for (int i = 0; i < n; i++) {
        List<Fault.Kind> from = i == 0 && !certain.isEmpty() ? certain : usable;
        Fault.Kind k = from.get(r.nextInt(from.size()));
        faults.add(fault(k, r.nextInt(agents), r, lock));
      }
    }
    if (declarative && kinds.contains(Fault.Kind.RESET_VERSION) && r.nextBoolean()) {
      // one schedule in four of these applies yet another version, often while the first spreads
      // or its reset is under way (an agent may then skip a version)
      int bumps = r.nextInt(4) == 0 ? 2 : 1;
      for (int i = 0; i < bumps; i++) {
        faults.add(fault(Fault.Kind.RESET_VERSION, r.nextInt(agents), r, lock));
      }
    }
    faults.sort((a, b) -> Long.compare(a.at(), b.at()));
    return new Scenario(seed, lock, agents, spaced(faults), mutation, declarative);
  }

  /**
   * Short faults that keep an agent from renewing its lease (a store partition, a pause) hit one
   * agent at least a TTL apart. Back to back, two of them add up to a lapsed lease (found by the
   * soak: a 1.4 s partition, 0.4 s of work, a 1.4 s pause), and that is the fencing class {@link
   * Fault.Kind#PAUSE_PAST_LEASE} stands for, not one today's rules claim to survive.
   */
  private static List<Fault> spaced(List<Fault> sorted) {
    List<Fault> out = new ArrayList<>();
    Map<Integer, Long> freeFrom = new HashMap<>();
    for (Fault f : sorted) {
      if (f.kind() == Fault.Kind.STORE_PARTITION || f.kind() == Fault.Kind.SHORT_PAUSE) {
        long at = Math.max(f.at(), freeFrom.getOrDefault(f.target(), 0L));
        freeFrom.put(f.target(), at + f.duration() + Sim.TTL_MS);
        out.add(new Fault(f.kind(), f.target(), at, f.duration()));
      } else {
        out.add(f);
      }
    }
    out.sort((a, b) -> Long.compare(a.at(), b.at()));
    return out;
  }

  private static Fault fault(Fault.Kind k, int target, SplittableRandom r, boolean lock) {
    long ttl = Sim.TTL_MS;
    long at = r.nextLong(0, 6_000);
    return switch (k) {
      case STORE_PARTITION, SHORT_PAUSE -> new Fault(k, target, at, r.nextLong(50, ttl / 2));
      case STORE_OUTAGE -> new Fault(k, -1, at, r.nextLong(50, ttl / 2));
      case KILL, DUPLICATE_NAME, FOREIGN_RECORD, JOIN_FALLBACK -> new Fault(k, target, at, 0);
      case ONE_SIDED_VIEW, CLOCK_DRIFT -> new Fault(k, target, 0, 0); // from boot, whole run
      case GHOST_PROBER -> new Fault(k, target, r.nextLong(0, 3_000), 0);
      case MEMBER_RESTART, RESTART_UNRESET, DATA_LOSS ->
          new Fault(k, target, at + 2_000, r.nextLong(200, 3_000));
      case PEER_PARTITION, SLOW_LINKS, PARTIAL_VIEW ->
          new Fault(k, target, at, r.nextLong(100, 4_000));
      case PAUSE_PAST_LEASE, LONG_STORE_PARTITION ->
          new Fault(k, target, r.nextLong(0, 2_500), r.nextLong(ttl + 500, 3 * ttl));
      // the target is a new node that boots only after the store lost its state
      case STORE_WIPE, STORE_RESTORE -> new Fault(k, target, r.nextLong(4_000, 12_000), 0);
      // mostly once the cluster formed (a running cluster is reset), sometimes while it forms
      case RESET_VERSION -> new Fault(k, target, r.nextLong(2_000, 12_000), r.nextLong(0, 3_000));
    };
  }

  static final Set<Fault.Kind> TODAY =
      EnumSet.of(
          Fault.Kind.STORE_PARTITION,
          Fault.Kind.STORE_OUTAGE,
          Fault.Kind.SHORT_PAUSE,
          Fault.Kind.MEMBER_RESTART,
          Fault.Kind.PEER_PARTITION,
          Fault.Kind.SLOW_LINKS,
          Fault.Kind.PARTIAL_VIEW,
          Fault.Kind.ONE_SIDED_VIEW,
          Fault.Kind.CLOCK_DRIFT,
          // formation.md v2 classes fixed so far (issue 18)
          Fault.Kind.STORE_WIPE,
          Fault.Kind.STORE_RESTORE,
          Fault.Kind.GHOST_PROBER,
          Fault.Kind.FOREIGN_RECORD,
          // fencing, joiners' evidence, reset of a decision never completed
          Fault.Kind.PAUSE_PAST_LEASE,
          Fault.Kind.LONG_STORE_PARTITION,
          Fault.Kind.KILL,
          Fault.Kind.JOIN_FALLBACK,
          Fault.Kind.RESTART_UNRESET,
          // unique names: put-if-absent registration, the duplicate waits a TTL and exits 2
          Fault.Kind.DUPLICATE_NAME,
          // lost data dirs: lock backends keep the formed marker; lockless agents keep what they
          // were told to join and saw formed, and a blank node never seeds beside it
          Fault.Kind.DATA_LOSS);

  /** Declarative schedules: today's classes and a gospel-reset version bump of the cluster. */
  static final Set<Fault.Kind> DECLARATIVE = declarativeKinds();

  private static Set<Fault.Kind> declarativeKinds() {
    Set<Fault.Kind> kinds = EnumSet.copyOf(TODAY);
    kinds.add(Fault.Kind.RESET_VERSION);
    return kinds;
  }

  @Override
  public String toString() {
    return model()
        + " seed="
        + seed
        + " agents="
        + agents
        + (mutation == Mutation.NONE ? "" : " mutation=" + mutation)
        + " faults="
        + faults;
  }
}
