package io.muster.formation;

import io.muster.spi.Formats;
import io.muster.spi.NodeName;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Records the membership a node formed or joined in {@code <data_dir>/membership.json}, written
 * atomically (temp file, then rename). A node that finds a record rejoins instead of discovering.
 * An unreadable record stops the agent: guessing would risk a second cluster.
 */
public final class MembershipStore {

  private final Path file;
  private final Path pending;

  public MembershipStore(Path dataDir) {
    this.file = dataDir.resolve("membership.json");
    this.pending = dataDir.resolve("pending-decision.json");
  }

  /**
   * Records that a decision was handed to the node and not completed yet: should the agent stop
   * before completion, the next run knows the node's data is not a member's (muster exec resets it
   * before starting the node). Written atomically; removed by {@link #write}.
   */
  public void writePending(Decision d, Instant at) {
    JsonObject o =
        new JsonObject()
            .put("action", d.action())
            .put("seed", d.seed().toString())
            .put("cluster_id", d.clusterId())
            .put("published_at", at.toString());
    atomicWrite(pending, Formats.stamp(o).encodePrettily(), "pending-decision record");
  }

  /** The pending decision an earlier run left (its JSON text), if any. */
  public Optional<String> pending() {
    try {
      return Files.exists(pending)
          ? Optional.of(Files.readString(pending, StandardCharsets.UTF_8).replaceAll("\\s+", " "))
          : Optional.empty();
    } catch (IOException e) {
      return Optional.of("unreadable " + pending + ": " + e.getMessage());
    }
  }

  /** Forgets the pending decision (the node completed, or its data was reset). */
  public void clearPending() {
    try {
      Files.deleteIfExists(pending);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + pending, e);
    }
  }

  public Path file() {
    return file;
  }

  /** Removes the record and any pending decision: the node left its cluster (muster leave). */
  public void delete() {
    try {
      Files.deleteIfExists(file);
      Files.deleteIfExists(pending);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + file, e);
    }
  }

  /**
   * @throws IllegalStateException when a record exists but cannot be used
   */
  public Optional<Membership> read() {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonObject o = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      Formats.of(o);
      Set<NodeName> members = new TreeSet<>();
      for (Object m : o.getJsonArray("members")) {
        members.add(NodeName.parse(String.valueOf(m)));
      }
      String clusterId = o.getString("cluster_id");
      if (clusterId == null || clusterId.isBlank()) {
        throw new IllegalArgumentException("no cluster_id");
      }
      return Optional.of(
          new Membership(
              NodeName.parse(o.getString("node")),
              clusterId,
              members,
              Instant.parse(o.getString("formed_at")),
              configVersion(o.getValue("config_version"))));
    } catch (IOException
        | DecodeException
        | IllegalArgumentException
        | NullPointerException
        | ClassCastException
        | DateTimeParseException e) {
      throw new IllegalStateException(
          "membership record "
              + file
              + " is unreadable ("
              + (e instanceof IllegalArgumentException && e.getMessage() != null
                  ? e.getMessage()
                  : e.getClass().getSimpleName())
              + "); fix it, or move it away to let this node form or join anew",
          e);
    }
  }

  /** The optional {@code config_version}: absent (no declarative mode) is 0. */
  private static long configVersion(Object value) {
    if (value == null) {
      return 0;
    }
    if (value instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue()) {
      return n.longValue();
    }
    throw new IllegalArgumentException("config_version must be a whole number, 0 or more");
  }

  public void write(Membership m) {
    JsonArray members = new JsonArray();
    new TreeSet<>(m.members()).forEach(n -> members.add(n.toString()));
    JsonObject o =
        new JsonObject()
            .put("node", m.node().toString())
            .put("cluster_id", m.clusterId())
            .put("members", members)
            .put("formed_at", m.formedAt().toString());
    if (m.configVersion() > 0) {
      // declarative mode only, so records of every other mode read as before
      o.put("config_version", m.configVersion());
    }
    atomicWrite(file, Formats.stamp(o).encodePrettily(), "membership record");
    clearPending();
  }

  private static void atomicWrite(Path target, String text, String what) {
    try {
      AtomicFiles.write(target, text, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + what + " " + target, e);
    }
  }
}
