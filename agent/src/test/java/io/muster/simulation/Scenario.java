package io.muster.simulation;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
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
 */
record Scenario(long seed, boolean lock, int agents, List<Fault> faults, Mutation mutation) {

  /** Deliberately broken variants of the rules or the store, each of which must be caught. */
  enum Mutation {
    NONE,
    /** The marker read under the lock always says none (lock). */
    SKIP_MARKER_READ,
    /** The store grants the lock to everyone at once (lock). */
    LOCK_NOT_EXCLUSIVE,
    /** The forming marker is never written (lock). */
    NO_FORMING_MARKER,
    /** Agents answer probes without recording the prober (lockless). */
    IGNORE_PROBERS,
    /** Agents seed without waiting for the stable margin, on lagging views (lockless). */
    NO_STABLE_MARGIN,
    /** A formed peer answers as booting (lockless). */
    HIDE_FORMED
  }

  Scenario {
    faults = List.copyOf(faults);
  }

  Scenario withFaults(List<Fault> f) {
    return new Scenario(seed, lock, agents, f, mutation);
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
    SplittableRandom r = new SplittableRandom(seed);
    int agents = 2 + r.nextInt(6);
    List<Fault.Kind> usable = new ArrayList<>();
    for (Fault.Kind k : kinds) {
      if (lock ? !k.locklessOnly() : !k.lockOnly()) {
        usable.add(k);
      }
    }
    List<Fault> faults = new ArrayList<>();
    if (!usable.isEmpty()) {
      int n = 1 + r.nextInt(4);
      for (int i = 0; i < n; i++) {
        Fault.Kind k = usable.get(r.nextInt(usable.size()));
        faults.add(fault(k, r.nextInt(agents), r, lock));
      }
    }
    faults.sort((a, b) -> Long.compare(a.at(), b.at()));
    return new Scenario(seed, lock, agents, faults, mutation);
  }

  private static Fault fault(Fault.Kind k, int target, SplittableRandom r, boolean lock) {
    long ttl = Sim.TTL_MS;
    long at = r.nextLong(0, 6_000);
    return switch (k) {
      case STORE_PARTITION, SHORT_PAUSE -> new Fault(k, target, at, r.nextLong(50, ttl / 2));
      case STORE_OUTAGE -> new Fault(k, -1, at, r.nextLong(50, ttl / 2));
      case KILL, DUPLICATE_NAME, FOREIGN_RECORD, JOIN_FALLBACK -> new Fault(k, target, at, 0);
      case MEMBER_RESTART, RESTART_UNRESET, DATA_LOSS ->
          new Fault(k, target, at + 2_000, r.nextLong(200, 3_000));
      case PEER_PARTITION, SLOW_LINKS, PARTIAL_VIEW ->
          new Fault(k, target, at, r.nextLong(100, 4_000));
      case PAUSE_PAST_LEASE, LONG_STORE_PARTITION ->
          new Fault(k, target, r.nextLong(0, 2_500), r.nextLong(ttl + 500, 3 * ttl));
      case STORE_WIPE, STORE_RESTORE -> new Fault(k, -1, r.nextLong(4_000, 12_000), 0);
    };
  }

  static final Set<Fault.Kind> TODAY =
      EnumSet.of(
          Fault.Kind.SHORT_PAUSE,
          Fault.Kind.MEMBER_RESTART,
          Fault.Kind.PEER_PARTITION,
          Fault.Kind.SLOW_LINKS,
          Fault.Kind.PARTIAL_VIEW);

  @Override
  public String toString() {
    return (lock ? "lock" : "lockless")
        + " seed="
        + seed
        + " agents="
        + agents
        + (mutation == Mutation.NONE ? "" : " mutation=" + mutation)
        + " faults="
        + faults;
  }
}
