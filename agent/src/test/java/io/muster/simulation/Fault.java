package io.muster.simulation;

/**
 * One fault a schedule injects: what, to whom (an agent index, or -1 for the store), when and for
 * how long, all in simulated milliseconds. Faults to the store with a target also hold that agent's
 * boot back until after them (a node added later).
 */
record Fault(Kind kind, int target, long at, long duration) {

  /** The fault classes; {@link #v2} marks those formation.md v2 fixes (issue 18). */
  enum Kind {
    /** The agent's links to the store are cut (shorter than the lease TTL). */
    STORE_PARTITION(false),
    /** The store answers nothing to anyone for a while (shorter than the lease TTL). */
    STORE_OUTAGE(false),
    /** The agent process stops for less than half the TTL (GC pause, CPU starvation). */
    SHORT_PAUSE(false),
    /** The agent and its node are killed for good. */
    KILL(false),
    /** A member (its agent completed) is killed and restarted with its data. */
    MEMBER_RESTART(false),
    /** The agent's peer-port links are cut (lockless). */
    PEER_PARTITION(false),
    /** Every message of the agent is slow for a while. */
    SLOW_LINKS(false),
    /** The agent's discovery misses some nodes for a while (lockless views lag and differ). */
    PARTIAL_VIEW(false),
    /**
     * The agent's discovery never shows the next agent, though that agent sees it (a record that
     * never reaches one resolver): only the next agent's probes tell it that node exists.
     */
    ONE_SIDED_VIEW(false),
    /** The agent's clock runs 20% slow to 25% fast and is off by up to 5 s, for the whole run. */
    CLOCK_DRIFT(false),

    /** The agent process stops for longer than its lease TTL. */
    PAUSE_PAST_LEASE(true),
    /**
     * The store loses everything; the target agent boots (blank) only after the documented window
     * ({@link Sim#WIPE_WINDOW_MS}).
     */
    STORE_WIPE(true),
    /**
     * The store is restored to a snapshot taken 2 s in; the target agent boots (blank) only after
     * the documented window.
     */
    STORE_RESTORE(true),
    /** The agent's links to the store are cut for longer than the TTL. */
    LONG_STORE_PARTITION(true),
    /** The agent boots with a membership record written for another node and cluster. */
    FOREIGN_RECORD(true),
    /** The agent has the same node name as another agent. */
    DUPLICATE_NAME(true),
    /** A node told to join gives up after a few retries and starts standalone. */
    JOIN_FALLBACK(true),
    /** One probe naming a node that does not exist reaches the (booting) agent. */
    GHOST_PROBER(true),
    /** An agent that never completed is killed and restarted; its node's data is not reset. */
    RESTART_UNRESET(true),
    /** A member loses its data dir and its node's data, then restarts blank. */
    DATA_LOSS(true),

    /**
     * Declarative only: the next cluster config version, gospel {@code reset}, the same nodes, is
     * applied to the agent; every other agent adopts it within the duration (spreading), each at
     * its own time. It resets a running cluster: every node forms anew at the new version.
     */
    RESET_VERSION(false);

    final boolean v2;

    Kind(boolean v2) {
      this.v2 = v2;
    }

    boolean lockOnly() {
      return this == STORE_PARTITION
          || this == STORE_OUTAGE
          || this == PAUSE_PAST_LEASE
          || this == STORE_WIPE
          || this == STORE_RESTORE
          || this == LONG_STORE_PARTITION;
    }

    /** Injected whatever the world's state when it comes due (others wait for a state). */
    boolean alwaysLands() {
      return this == STORE_PARTITION
          || this == STORE_OUTAGE
          || this == SHORT_PAUSE
          || this == PEER_PARTITION
          || this == SLOW_LINKS
          || this == PARTIAL_VIEW
          || this == LONG_STORE_PARTITION
          || this == PAUSE_PAST_LEASE
          || this == STORE_WIPE
          || this == JOIN_FALLBACK
          || this == CLOCK_DRIFT;
    }

    /** Only a declarative config has versions to bump. */
    boolean declarativeOnly() {
      return this == RESET_VERSION;
    }

    boolean locklessOnly() {
      return this == RESET_VERSION
          || this == PEER_PARTITION
          || this == PARTIAL_VIEW
          || this == ONE_SIDED_VIEW
          || this == GHOST_PROBER;
    }
  }

  @Override
  public String toString() {
    return kind + (target >= 0 ? " a" + target : "") + " @" + at + "ms for " + duration + "ms";
  }
}
