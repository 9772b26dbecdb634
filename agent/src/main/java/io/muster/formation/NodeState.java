package io.muster.formation;

import java.util.Locale;

/** An agent's formation state as peers see it on {@code GET /v1/node}. */
public enum NodeState {
  /** No decision to seed yet, or told to join and not complete. */
  BOOTING,
  /** Decided to seed; the node has not reported completion. */
  FORMING,
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
    throw new IllegalArgumentException("expected booting, forming or formed");
  }
}
