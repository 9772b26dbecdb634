package io.muster.declarative;

/**
 * The formation core's port to the declarative config in force: the core asks it, the agent's side
 * ({@link ClustererBackend}) answers from memory once the config file's version has been offered.
 */
public interface DeclaredConfig {

  /** The config in force now. */
  ClusterSpec inForce();
}
