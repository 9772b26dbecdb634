package io.muster.agent;

import io.muster.config.ConfigException;
import io.muster.config.ConfigProblem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's data directory, held for the agent's lifetime (formation.md step 2): an exclusive
 * lock on {@code agent.lock} keeps a second agent off the same membership record, and {@code
 * instance-id} names this agent across restarts, so a restarted agent recognises its own
 * registration while another agent registering the same node name is refused.
 */
public final class DataDir implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DataDir.class);

  static final String LOCK_FILE = "agent.lock";
  static final String INSTANCE_FILE = "instance-id";
  private static final Pattern INSTANCE = Pattern.compile("[0-9a-f-]{8,64}");

  private final Path dir;
  private final FileChannel channel;
  private final FileLock lock;
  private final String instanceId;

  private DataDir(Path dir, FileChannel channel, FileLock lock, String instanceId) {
    this.dir = dir;
    this.channel = channel;
    this.lock = lock;
    this.instanceId = instanceId;
  }

  /**
   * Creates the directory if needed, locks it and reads (or creates) the instance id.
   *
   * @param origin where {@code muster.data_dir} was set, for the message
   * @throws ConfigException when the directory cannot be used, or another agent holds it
   */
  public static DataDir open(Path dir, String origin, String key) {
    Path lockFile = dir.resolve(LOCK_FILE);
    FileChannel channel = null;
    try {
      Files.createDirectories(dir);
      channel =
          FileChannel.open(
              lockFile,
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // another agent in this very process holds it
      }
      if (lock == null) {
        String holder = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
        channel.close();
        throw new ConfigException(
            new ConfigProblem(
                origin,
                key,
                "expected a data dir no other agent uses, but "
                    + dir
                    + " is locked by another agent ("
                    + (holder.isEmpty() ? "holder unknown" : holder)
                    + "): give each agent its own muster.data_dir"));
      }
      channel.truncate(0);
      channel.write(
          ByteBuffer.wrap(
              ("pid " + ProcessHandle.current().pid() + ", since " + Instant.now() + "\n")
                  .getBytes(StandardCharsets.UTF_8)),
          0);
      channel.force(false);
      return new DataDir(dir, channel, lock, instanceId(dir));
    } catch (IOException e) {
      closeQuietly(channel);
      throw new ConfigException(
          new ConfigProblem(
              origin,
              key,
              "expected a directory the agent can create, lock and write, but "
                  + dir
                  + " cannot be used: "
                  + e));
    }
  }

  /** The id in {@code instance-id}; a new one when there is none or it is unreadable. */
  private static String instanceId(Path dir) throws IOException {
    Path file = dir.resolve(INSTANCE_FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (INSTANCE.matcher(id).matches()) {
        return id;
      }
      LOG.warn(
          "{} is unreadable; this agent takes a new instance id (a registration of this node left"
              + " by its previous run is then waited out for one TTL)",
          file);
    }
    String id = UUID.randomUUID().toString();
    Path tmp = dir.resolve(INSTANCE_FILE + ".tmp");
    Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    LOG.info("New agent instance id {} in {}", id, file);
    return id;
  }

  public Path dir() {
    return dir;
  }

  public String instanceId() {
    return instanceId;
  }

  /** Releases the lock. Idempotent. */
  @Override
  public void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } catch (IOException e) {
      LOG.debug("Releasing the lock on {}: {}", dir, e.toString());
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing held
      }
    }
  }
}
