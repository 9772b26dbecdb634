package io.muster.render;

import io.muster.formation.AtomicFiles;
import io.muster.formation.Decision;
import io.muster.formation.PeerView;
import io.muster.process.Commands;
import io.muster.spi.NodeName;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders every configured file once. A file is replaced atomically (temporary file in the same
 * directory, flushed, then renamed over it), only when its content changes, and its command runs
 * only then. A stale peer list, or one that is empty before any decision, never overwrites a file;
 * nor does a render that comes out blank over a file that has content.
 */
public final class FileRenderer {

  private static final Logger LOG = LoggerFactory.getLogger(FileRenderer.class);
  private static final Set<PosixFilePermission> DEFAULT_MODE =
      PosixFilePermissions.fromString("rw-r--r--");

  /** What the last render of one file did, for {@code /v1/status}. */
  public record Outcome(Instant at, String result, long index) {}

  private final RenderSettings settings;
  private final NodeName self;
  private final String backend;
  private final Duration joinWindow;
  private final Map<Integer, Outcome> last = new LinkedHashMap<>();

  /** Whether the agent runs as root, read once: only root may give a file owner and group. */
  private final boolean root;

  /** {@code joinWindow}: the node's ready timeout, which joiners' retries must outlast. */
  public FileRenderer(RenderSettings settings, NodeName self, String backend, Duration joinWindow) {
    this.settings = settings;
    this.self = self;
    this.backend = backend;
    this.joinWindow = joinWindow;
    int uid = FileAttributes.uid();
    this.root = uid == 0;
    for (RenderSettings.Item item : settings.items()) {
      if (item.attributes().changesOwnership() && uid != 0) {
        LOG.warn(
            "muster.render.{}.owner/group: set only when the agent runs as root; it runs as uid"
                + " {}, so {} keeps the agent's owner and group",
            item.index(),
            uid,
            item.destination());
      }
    }
  }

  private volatile Consumer<Path> written = file -> {};

  /** Told each file whose content a render changed (muster exec's reload signal). */
  public void onWritten(Consumer<Path> listener) {
    this.written = listener;
  }

  /**
   * What every file would hold for this view and decision, written nowhere ({@code muster render}'s
   * dry run), in the order of the config.
   *
   * @throws IllegalStateException when a template cannot be rendered
   */
  public Map<RenderSettings.Item, String> preview(PeerView.Snapshot view, Decision decision) {
    Map<String, Object> context = RenderContext.of(self, backend, view, decision, joinWindow);
    Map<RenderSettings.Item, String> out = new LinkedHashMap<>();
    for (RenderSettings.Item item : settings.items()) {
      out.put(item, item.template().render(context));
    }
    return out;
  }

  public boolean enabled() {
    return !settings.items().isEmpty();
  }

  /**
   * Renders every file for this view and decision. Returns false when a file could not be written
   * (the reason is logged and shown in the status); skipped renders are not failures.
   */
  public synchronized boolean render(PeerView.Snapshot view, Decision decision) {
    String skip = skipReason(view, decision);
    // With a decision, templates that use it are rendered even on a stale list: the node needs
    // its seed/join lines (taken from the decision) to start, whatever discovery does meanwhile.
    boolean decisionOnly = skip != null && decision != null && view.stale();
    if (skip != null && !decisionOnly) {
      LOG.info("Not rendering files: {}; the files keep their last good content", skip);
      settings.items().forEach(i -> note(i, "skipped: " + skip, view));
      return true;
    }
    Map<String, Object> context = RenderContext.of(self, backend, view, decision, joinWindow);
    boolean allWritten = true;
    for (RenderSettings.Item item : settings.items()) {
      if (decisionOnly && !item.template().usesDecision()) {
        LOG.info("Not rendering {}: {}; it keeps its last good content", item.destination(), skip);
        note(item, "skipped: " + skip, view);
        continue;
      }
      if (decision == null && item.template().usesDecision()) {
        LOG.info(
            "Not rendering {} yet: {} uses the formation decision, which is not taken yet",
            item.destination(),
            item.templateName());
        note(item, "skipped: waiting for the decision", view);
        continue;
      }
      allWritten &= renderItem(item, context, view, decision);
    }
    return allWritten;
  }

  private static String skipReason(PeerView.Snapshot view, Decision decision) {
    if (view.stale()) {
      return "the peer list is stale (" + view.lastError() + ")";
    }
    if (decision == null && view.peers().isEmpty()) {
      return "no peers known and no decision yet";
    }
    return null;
  }

  private boolean renderItem(
      RenderSettings.Item item,
      Map<String, Object> context,
      PeerView.Snapshot view,
      Decision decision) {
    Path dest = item.destination();
    if (swept.add(item.index())) {
      removeLeftovers(dest);
    }
    String text;
    try {
      text = item.template().render(context);
    } catch (IllegalStateException e) {
      LOG.warn(
          "Rendering {} failed: {}; {} keeps its content",
          item.templateName(),
          e.getMessage(),
          dest);
      note(item, "failed: " + e.getMessage(), view);
      return false;
    }
    try {
      String current = Files.exists(dest) ? Files.readString(dest) : null;
      if (text.equals(current)) {
        LOG.debug("{} unchanged (peer list index {})", dest, view.index());
        note(item, "unchanged", view);
        writtenFor.put(item.index(), Optional.ofNullable(decision));
        return true;
      }
      if (text.isBlank() && current != null && !current.isBlank()) {
        LOG.warn("Not writing {}: the render came out empty; keeping its content", dest);
        note(item, "skipped: render came out empty", view);
        return true;
      }
      if (current != null && item.attributes().backup()) {
        Path bak = dest.resolveSibling(dest.getFileName() + ".bak");
        writeAtomically(bak, current, item.attributes(), Files.getPosixFilePermissions(dest));
        LOG.info("Kept the previous content of {} as {}", dest, bak);
      }
      writeAtomically(dest, text, item.attributes(), null);
    } catch (IOException e) {
      LOG.error("Cannot write {}: {}", dest, e.toString());
      note(item, "failed: cannot write: " + e, view);
      return false;
    }
    LOG.info(
        "Rendered {} from {} (peer list index {}, {} peers)",
        dest,
        item.templateName(),
        view.index(),
        view.peers().size());
    String result = "written";
    if (item.command().isPresent()) {
      Commands.Result r =
          Commands.run(
              item.command().get(),
              Map.of("MUSTER_RENDERED_FILE", dest.toString()),
              settings.timeout());
      if (r.ok()) {
        LOG.info("Ran {} after rendering {} (exit 0)", item.command().get(), dest);
        result = "written; command ok";
      } else {
        LOG.warn(
            "Command {} after rendering {} failed (exit {}): {}; it runs again on the next change",
            item.command().get(),
            dest,
            r.exit(),
            r.tail());
        result = "written; command failed (exit " + r.exit() + ")";
      }
    }
    note(item, result, view);
    writtenFor.put(item.index(), Optional.ofNullable(decision));
    written.accept(dest);
    return true;
  }

  /**
   * True when every file holds what the node needs for decision {@code d}: a template that uses the
   * decision was last written (or found unchanged) for {@code d}; any other has been written at
   * least once. A skipped, failed or blank render does not count.
   */
  public synchronized boolean readyFor(Decision d) {
    for (RenderSettings.Item item : settings.items()) {
      Optional<Decision> at = writtenFor.get(item.index());
      if (at == null || (item.template().usesDecision() && !at.equals(Optional.ofNullable(d)))) {
        return false;
      }
    }
    return true;
  }

  private final Set<Integer> swept = new HashSet<>();

  /**
   * Deletes temporary files a killed agent left beside {@code dest} (half-written, and in a
   * directory the node may read whole, such as RabbitMQ's conf.d given as a directory).
   */
  static void removeLeftovers(Path dest) {
    Path dir = dest.toAbsolutePath().getParent();
    String prefix = "." + dest.getFileName();
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (var files = Files.newDirectoryStream(dir, f -> isLeftover(f, prefix))) {
      for (Path f : files) {
        Files.deleteIfExists(f);
        LOG.info("Removed {}, a temporary file left by an earlier write", f);
      }
    } catch (IOException e) {
      LOG.warn("Could not clear temporary files beside {}: {}", dest, e.toString());
    }
  }

  private static boolean isLeftover(Path f, String prefix) {
    String name = f.getFileName().toString();
    return name.startsWith(prefix) && name.endsWith(".tmp") && Files.isRegularFile(f);
  }

  /**
   * Writes atomically with the mode asked for, else {@code mode} when given, else the file's own
   * (new files: {@link #DEFAULT_MODE}); owner and group as asked when the agent runs as root.
   */
  private void writeAtomically(
      Path dest, String text, FileAttributes attributes, Set<PosixFilePermission> mode)
      throws IOException {
    Set<PosixFilePermission> perms =
        attributes
            .mode()
            .orElse(
                mode != null
                    ? mode
                    : Files.exists(dest) ? Files.getPosixFilePermissions(dest) : DEFAULT_MODE);
    boolean chown = attributes.changesOwnership() && root;
    AtomicFiles.write(
        dest,
        text,
        perms,
        tmp -> {
          if (chown) {
            attributes.chown(tmp);
          }
        });
  }

  /** Per file: the decision (empty: none) it was last written or confirmed unchanged for. */
  private final Map<Integer, Optional<Decision>> writtenFor = new HashMap<>();

  private void note(RenderSettings.Item item, String result, PeerView.Snapshot view) {
    last.put(item.index(), new Outcome(Instant.now(), result, view.index()));
  }

  /** For {@code /v1/status}: each file, its template and what its last render did. */
  public synchronized JsonArray status() {
    JsonArray out = new JsonArray();
    for (RenderSettings.Item item : settings.items()) {
      Outcome o = last.get(item.index());
      out.add(
          new JsonObject()
              .put("index", item.index())
              .put("template", item.templateName())
              .put("destination", item.destination().toString())
              .put("command", item.command().map(Object::toString).orElse(null))
              .put("last_render_at", o == null ? null : o.at().toString())
              .put("last_result", o == null ? "not rendered yet" : o.result())
              .put("peer_list_index", o == null ? null : o.index()));
    }
    return out;
  }
}
