package io.muster.simulation;

/**
 * One fault a schedule injects: what, to whom (an agent index, or -1 for the store), when and for
 * how long, all in simulated milliseconds.
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

    /** The agent process stops for longer than its lease TTL. */
    PAUSE_PAST_LEASE(true),
    /** The store loses everything. */
    STORE_WIPE(true),
    /** The store is restored to a snapshot taken at the start. */
    STORE_RESTORE(true),
    /** The agent's links to the store are cut for longer than the TTL. */
    LONG_STORE_PARTITION(true),
    /** The agent boots with a membership record written for another node and cluster. */
    FOREIGN_RECORD(true),
    /** The agent has the same node name as another agent. */
    DUPLICATE_NAME(true),
    /** A node told to join gives up after a few retries and starts standalone. */
    JOIN_FALLBACK(true),
    /** An agent that never completed is killed and restarted; its node's data is not reset. */
    RESTART_UNRESET(true),
    /** A member loses its data dir and its node's data, then restarts blank. */
    DATA_LOSS(true);

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

    boolean locklessOnly() {
      return this == PEER_PARTITION || this == PARTIAL_VIEW;
    }
  }

  @Override
  public String toString() {
    return kind + (target >= 0 ? " a" + target : "") + " @" + at + "ms for " + duration + "ms";
  }
}
