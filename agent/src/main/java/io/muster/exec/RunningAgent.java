package io.muster.exec;

import io.muster.formation.engine.FormationEngine;
import io.muster.formation.engine.LocalNode;
import io.muster.metrics.AgentMetrics;
import io.muster.render.RenderLoop;
import io.muster.spi.NodeName;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code muster exec} and the readiness probe need of a running agent, and no more: the agent
 * implements it, so this package depends on nothing above it.
 */
public interface RunningAgent {

  /** This node's name. */
  NodeName node();

  /** The formation engine: decisions, completion, abort, withdrawal. */
  FormationEngine engine();

  /** The local node's formation state. */
  LocalNode local();

  /** When the node may start (GET /health/started). */
  StartGate startGate();

  /** The rendered files (empty when none are configured). */
  RenderLoop render();

  /** Where {@code muster exec} counts what it did with its child. */
  AgentMetrics metrics();

  /** The loopback API's port, handed to the child as {@code MUSTER_API}. */
  int apiPort();

  /** {@code muster.data_dir}, handed to the child as {@code MUSTER_DATA_DIR}. */
  Path dataDir();

  /**
   * {@code muster.api.token_file} when set, handed to the child as {@code MUSTER_API_TOKEN_FILE} so
   * that the node's own tools can call the endpoints that need the token.
   */
  Optional<Path> apiTokenFile();

  /**
   * The node's own list of its cluster members, the evidence a joiner's completion carries; empty
   * when the node reports none.
   */
  Optional<Set<NodeName>> nodeMembers();
}
