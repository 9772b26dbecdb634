package io.muster.formation.core;

/** Where the formation core is, for {@code /v1/status}. */
public enum Phase {
  STARTING,
  REGISTERING,
  DECIDING,
  DECIDED,
  FORMED,
  STOPPED,
  FAILED
}
