package io.muster.formation.core;

/** Where the formation core is, for {@code /v1/status}. */
public enum Phase {
  STARTING,
  REGISTERING,
  DECIDING,
  DECIDED,
  FORMED,
  /** The node must stop and reset (its claim or its cluster could not be proven), then abort. */
  WITHDRAWN,
  /** Declarative mode, gospel {@code reset}: the formed node is to be stopped and reset. */
  RESETTING,
  STOPPED,
  FAILED
}
