package io.muster.formation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** Files replaced whole or not at all: what the agent keeps in its data dir, and rendered files. */
public final class AtomicFiles {

  private AtomicFiles() {}

  /**
   * Writes {@code text} to a temporary file {@code .NAME*.tmp} in {@code dest}'s directory, flushes
   * it to disk, gives it {@code mode}, then renames it over {@code dest}: a reader sees the old
   * content or the new, never a part, and a crash leaves at most a temporary file behind.
   *
   * @throws IOException when the directory cannot be written or cannot rename atomically
   */
  public static void write(Path dest, String text, Set<PosixFilePermission> mode)
      throws IOException {
    write(dest, text, mode, tmp -> {});
  }

  /** What is done to the temporary file before it is renamed over the destination. */
  @FunctionalInterface
  public interface Prepare {
    void apply(Path tmp) throws IOException;
  }

  /** As {@link #write(Path, String, Set)}, with {@code prepare} applied to the file before. */
  public static void write(Path dest, String text, Set<PosixFilePermission> mode, Prepare prepare)
      throws IOException {
    Path dir = dest.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + dest.getFileName(), ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.setPosixFilePermissions(tmp, mode);
      prepare.apply(tmp);
      try {
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot replace " + dest + " atomically: " + e.getMessage(), e);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
