package io.muster.declarative;

import io.muster.formation.AtomicFiles;
import io.muster.spi.Formats;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The declarative spec in force, kept in the data dir ({@code cluster-config.json}, replaced
 * atomically), so that a restarted agent goes on with the version it last had whatever order nodes
 * come back in, as the Clusterer kept its config beside the node's data.
 */
public final class SpecStore {

  static final String FILE = "cluster-config.json";

  private final Path file;

  public SpecStore(Path dataDir) {
    this.file = dataDir.resolve(FILE);
  }

  public Path file() {
    return file;
  }

  /**
   * The stored spec; empty when none was stored.
   *
   * @throws IllegalStateException when the file exists but cannot be read as a spec: the agent must
   *     not guess which version is in force (it stops, naming the file)
   */
  public Optional<ClusterSpec> load() {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cluster config " + file, e);
    }
    try {
      JsonObject o = new JsonObject(text);
      Formats.of(o); // refuses a format this agent cannot read
      o.remove(Formats.FIELD);
      return Optional.of(ClusterSpecs.fromJson(o.encode(), file.toString()));
    } catch (ClusterSpecs.InvalidSpecException | RuntimeException e) {
      throw new IllegalStateException(
          "the stored cluster config "
              + file
              + " cannot be read ("
              + e.getMessage()
              + "); move it away to start without one, then apply the config again",
          e);
    }
  }

  /** Stores {@code spec} as the one in force (atomically; readable by the agent's user only). */
  public void store(ClusterSpec spec) {
    try {
      AtomicFiles.write(
          file,
          Formats.stamp(spec.toJson()).encodePrettily(),
          PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the cluster config " + file, e);
    }
  }
}
