package io.muster.declarative;

/**
 * The formation core's port to the declarative config in force: the core asks it, the agent's side
 * ({@link ClustererBackend}) answers from memory once the config file's version has been offered.
 */
public interface DeclaredConfig {

  /** The config in force now. */
  ClusterSpec inForce();

  /**
   * Whether the node's data can be reset before it joins: under {@code muster exec} with {@code
   * muster.node.reset_command} or {@code muster.node.data_dir}, the supervisor does it while the
   * node is stopped. Otherwise a node holding another cluster's data waits for an operator.
   */
  default boolean resetsNode() {
    return false;
  }
}
