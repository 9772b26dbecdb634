package io.muster.formation;

import java.util.Locale;

/** An agent's formation state as peers see it on {@code GET /v1/node}. */
public enum NodeState {
  /** No decision to seed yet, or told to join and not complete. */
  BOOTING,
  /** Decided to seed; the node has not reported completion. */
  FORMING,
  /**
   * Rejoining the cluster its membership record names; its node has not completed since the agent
   * started (formation.md step 2). Peers neither join it nor seed beside it: they wait for it.
   */
  REJOINING,
  /** Member of a formed cluster. */
  FORMED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static NodeState fromWire(String text) {
    for (NodeState s : values()) {
      if (s.wire().equals(text)) {
        return s;
      }
    }
    throw new IllegalArgumentException("expected booting, forming, rejoining or formed");
  }
}
