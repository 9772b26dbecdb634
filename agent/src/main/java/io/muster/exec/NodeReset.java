package io.muster.exec;

import io.muster.process.Commands;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resets the data of a node that never completed formation (formation.md invariant 9): after a
 * withdrawal, an abort, or a decision an earlier run published and never completed. RabbitMQ runs
 * peer discovery only on a blank node, so without this a restarted node would boot its old
 * standalone data again. Only ever called with the node stopped, and never for a node that
 * completed (its agent has a membership record then, and rejoins).
 */
final class NodeReset {

  private static final Logger LOG = LoggerFactory.getLogger(NodeReset.class);

  private NodeReset() {}

  /** Resets as configured; false when it failed (logged) or nothing is configured (logged). */
  static boolean reset(ExecSettings s, Map<String, String> env, String why) {
    if (s.resetCommand().isPresent()) {
      LOG.info("Resetting the node's data ({}): running {}", why, s.resetCommand().get());
      Commands.Result r =
          Commands.run(s.resetCommand().get(), env, s.stopTimeout().plus(Duration.ofSeconds(30)));
      if (!r.ok()) {
        LOG.error(
            "muster.node.reset_command {} failed (exit {}{}): {}",
            s.resetCommand().get(),
            r.exit(),
            r.timedOut() ? ", timed out" : "",
            r.tail());
        return false;
      }
      LOG.info("Node data reset");
      return true;
    }
    if (s.nodeDataDir().isPresent()) {
      Path dir = s.nodeDataDir().get();
      LOG.info("Resetting the node's data ({}): emptying {}", why, dir);
      try {
        emptyDirectory(dir);
        LOG.info("Node data reset: {} is empty", dir);
        return true;
      } catch (IOException e) {
        LOG.error("Could not empty muster.node.data_dir {}: {}", dir, e.toString());
        return false;
      }
    }
    LOG.warn(
        "The node's data should be reset ({}), but neither muster.node.reset_command nor"
            + " muster.node.data_dir is set: a node with data from a decision that never completed"
            + " may boot as its own cluster. Set one of them",
        why);
    return false;
  }

  /** Deletes everything inside {@code dir}, not the directory itself (it may be a mount point). */
  static void emptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          try (Stream<Path> walk = Files.walk(entry)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
              Files.delete(p);
            }
          }
        } else {
          Files.delete(entry);
        }
      }
    }
  }
}
