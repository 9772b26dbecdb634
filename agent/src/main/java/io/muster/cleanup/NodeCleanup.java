package io.muster.cleanup;

import io.muster.formation.PeerView;
import io.muster.process.Commands;
import io.muster.spi.NodeName;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@code interval}: learn the node's cluster members (a command, or the last {@code PUT
 * /v1/members}), compare them with the last fresh discovery through {@link CleanupRule}, and log or
 * forget the members the backend no longer knows. Commands run without a shell, node names as
 * single arguments. A removal runs only on the cluster's one remover, under the formation lock on
 * lock backends (formation.md invariant 6).
 */
public final class NodeCleanup implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(NodeCleanup.class);

  /** Bound on one members or forget command. */
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private final CleanupSettings s;
  private final NodeName self;
  private final PeerView view;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "muster-cleanup");
            t.setDaemon(true);
            return t;
          });
  private volatile Set<NodeName> pushed;
  private volatile CleanupRule.Pass last;
  private volatile Instant lastAt;
  private volatile String lastError;
  private final List<String> removed = new ArrayList<>();

  private final BooleanSupplier nodeFormed;
  private final CleanupRule.Policy policy;
  private final Guard guard;
  private Map<NodeName, CleanupRule.Absence> absences = Map.of();
  private Instant lastRead;

  /** Runs a removal so that no other agent of the cluster removes at the same time. */
  @FunctionalInterface
  public interface Guard {
    /** Runs {@code removal}; false (nothing run) when exclusion could not be had. */
    boolean exclusively(Runnable removal);

    /** No exclusion beyond the one-remover rule (lockless backends). */
    Guard NONE =
        removal -> {
          removal.run();
          return true;
        };
  }

  private volatile Runnable askForRead = () -> {};

  /**
   * @param nodeFormed true once the local node completed formation; before that the members command
   *     is not run
   * @param absentFor how long a member must be missing before it may be removed
   * @param guard how a removal excludes other removers (the formation lock on lock backends)
   */
  public NodeCleanup(
      CleanupSettings s,
      NodeName self,
      PeerView view,
      BooleanSupplier nodeFormed,
      Duration absentFor,
      Guard guard) {
    this.s = s;
    this.self = self;
    this.view = view;
    this.nodeFormed = nodeFormed;
    this.policy =
        new CleanupRule.Policy(s.onlyLogWarning(), s.maxRemovals(), s.maxPercent(), absentFor);
    this.guard = guard;
  }

  /**
   * Sets what asks the formation engine for a fresh read of the peer list. A member counts as
   * absent only over several distinct reads, and with a watch the list is read only when it
   * changes: a pass that sees an absence asks for the next read, so the count goes on.
   */
  public void onAbsence(Runnable askForRead) {
    this.askForRead = askForRead;
  }

  public void start() {
    long every = s.interval().toMillis();
    timer.scheduleWithFixedDelay(this::passSafely, every, every, TimeUnit.MILLISECONDS);
  }

  /** Members reported by the node itself ({@code PUT /v1/members}). */
  public void members(Set<NodeName> members) {
    pushed = Set.copyOf(members);
  }

  /**
   * The node's own list of its cluster members, as evidence that a joiner joined the cluster it was
   * told to (formation.md invariant 9): from {@code muster.cleanup.members_command} when set, else
   * the last {@code PUT /v1/members}; empty when neither says anything.
   *
   * @throws IllegalStateException when the members command fails
   */
  public Optional<Set<NodeName>> reportedMembers() {
    if (s.membersCommand().isPresent()) {
      return Optional.of(membersFromCommand());
    }
    return Optional.ofNullable(pushed);
  }

  private void passSafely() {
    // Asking a booting node for its members (an Erlang CLI call for RabbitMQ) costs its boot CPU
    // and says nothing yet; pushed members are the node's own word, so they count at once.
    if (s.membersCommand().isPresent() && !nodeFormed.getAsBoolean()) {
      last = new CleanupRule.Pass(List.of(), List.of(), "the node has not completed formation yet");
      LOG.debug("Node cleanup skipped: the node has not completed formation yet");
      return;
    }
    try {
      pass();
    } catch (RuntimeException e) {
      lastError = e.getMessage();
      LOG.warn(
          "Node cleanup pass failed: {}; next pass in {} ms",
          e.getMessage(),
          s.interval().toMillis());
    }
  }

  /** One pass; public for tests. */
  public CleanupRule.Pass pass() {
    Set<NodeName> members = s.membersCommand().isPresent() ? membersFromCommand() : pushed;
    lastAt = Instant.now();
    if (members == null) {
      last =
          new CleanupRule.Pass(
              List.of(),
              List.of(),
              "members not known yet (PUT /v1/members or muster.cleanup.members_command)");
      return last;
    }
    PeerView.Snapshot snap = view.snapshot();
    boolean fresh = snap.everSucceeded() && !snap.stale();
    Set<NodeName> discovered = new HashSet<>(snap.peers());
    if (fresh && !discovered.isEmpty() && !snap.lastSuccessAt().equals(lastRead)) {
      // a read counts once: a pass that sees the same discovery again is not another read
      absences = CleanupRule.observe(absences, members, discovered, lastAt);
      lastRead = snap.lastSuccessAt();
    }
    if (!absences.isEmpty()) {
      askForRead.run(); // the next pass then sees another read
    }
    CleanupRule.Pass p =
        CleanupRule.decide(members, discovered, fresh, self, absences, lastAt, policy);
    last = p;
    lastError = null;
    if (!p.candidates().isEmpty() && s.onlyLogWarning()) {
      LOG.warn(
          "Cluster members unknown to the backend: {}. Not removed"
              + " (cluster_formation.node_cleanup.only_log_warning = true)",
          p.candidates());
    }
    if (p.skipped() != null) {
      LOG.info("Node cleanup removes nothing this pass: {}", p.skipped());
      return p;
    }
    if (!p.toRemove().isEmpty()
        && !guard.exclusively(
            () -> {
              for (NodeName n : p.toRemove()) {
                forget(n);
              }
            })) {
      last = new CleanupRule.Pass(p.candidates(), List.of(), "the formation lock was not had");
      LOG.warn(
          "Node cleanup removes nothing this pass: the formation lock was not had; next pass in"
              + " {} ms",
          s.interval().toMillis());
    }
    return p;
  }

  private void forget(NodeName node) {
    forget(node, "the backend no longer knows it");
  }

  /**
   * Runs the forget command for {@code node} now, outside the pass's rules: an operator's explicit
   * removal (declarative mode: a config version that drops it). Never this node. Empty when it ran
   * and succeeded; else why not.
   */
  public Optional<String> forgetNow(NodeName node, String why) {
    if (node.equals(self)) {
      return Optional.of("a node never forgets itself");
    }
    if (s.forgetCommand().isEmpty()) {
      LOG.warn(
          "{} is to be removed from the cluster ({}), but muster.cleanup.forget_command is not"
              + " set: remove it by hand (rabbitmqctl forget_cluster_node {})",
          node,
          why,
          node);
      return Optional.of("muster.cleanup.forget_command is not set; forget " + node + " by hand");
    }
    return forget(node, why)
        ? Optional.empty()
        : Optional.of("the forget command failed; see the log");
  }

  private boolean forget(NodeName node, String why) {
    List<String> cmd = new ArrayList<>();
    for (String a : s.forgetCommand().orElseThrow()) {
      cmd.add(a.equals("{node}") ? node.toString() : a);
    }
    LOG.warn("Removing {} from the cluster: {}. Running {}", node, why, cmd);
    Commands.Result r = run(cmd);
    if (r.ok()) {
      synchronized (removed) {
        removed.add(node + " at " + Instant.now());
      }
      LOG.info("Removed {} (exit 0)", node);
      return true;
    }
    LOG.warn(
        "Removing {} failed (exit {}): {}; the next pass tries again", node, r.exit(), r.tail());
    return false;
  }

  private Set<NodeName> membersFromCommand() {
    Commands.Result r = run(s.membersCommand().orElseThrow());
    if (!r.ok()) {
      throw new IllegalStateException(
          "members command " + s.membersCommand().get() + " exited " + r.exit() + ": " + r.tail());
    }
    return parseMembers(r.output());
  }

  /**
   * Members from {@code rabbitmqctl cluster_status --formatter json} (disk and ram nodes), a JSON
   * array of names, or one name per line. Invalid names are dropped with a warning.
   */
  public static Set<NodeName> parseMembers(String text) {
    List<String> names = new ArrayList<>();
    String t = text.trim();
    try {
      if (t.startsWith("{")) {
        JsonObject o = new JsonObject(t);
        for (String field : List.of("disk_nodes", "ram_nodes")) {
          Object nodes = o.getValue(field);
          if (nodes instanceof JsonArray a) {
            a.forEach(x -> names.add(String.valueOf(x)));
          } else if (nodes != null) {
            throw new IllegalStateException(
                "unreadable members list: " + field + " must be an array of node names");
          }
        }
      } else if (t.startsWith("[")) {
        new JsonArray(t).forEach(x -> names.add(String.valueOf(x)));
      } else {
        for (String line : t.split("\\R")) {
          if (!line.isBlank()) {
            names.add(line.trim());
          }
        }
      }
    } catch (DecodeException e) {
      throw new IllegalStateException("unreadable members list: " + e.getMessage());
    }
    Set<NodeName> out = new TreeSet<>();
    for (String n : names) {
      if (NodeName.isValid(n)) {
        out.add(NodeName.parse(n));
      } else {
        LOG.warn("Ignoring invalid member name {}", n);
      }
    }
    return out;
  }

  private static Commands.Result run(List<String> cmd) {
    return Commands.run(cmd, Map.of(), COMMAND_TIMEOUT);
  }

  /** For {@code /v1/status}: candidates, what the last pass did or why it skipped. */
  public JsonObject status() {
    CleanupRule.Pass p = last;
    JsonObject o =
        new JsonObject()
            .put("implemented", true)
            .put("only_log_warning", s.onlyLogWarning())
            .put("interval_ms", s.interval().toMillis())
            .put("max_removals", s.maxRemovals())
            .put("max_percent", s.maxPercent())
            .put("absent_for_ms", policy.absentFor().toMillis())
            .put(
                "members_from",
                s.membersCommand().map(c -> "command " + c).orElse("PUT /v1/members"))
            .put("last_pass_at", lastAt == null ? null : lastAt.toString())
            .put("last_error", lastError);
    if (p != null) {
      JsonArray c = new JsonArray();
      p.candidates().forEach(n -> c.add(n.toString()));
      o.put("candidates", c).put("skipped", p.skipped());
    }
    synchronized (removed) {
      o.put("removed", new JsonArray(new ArrayList<>(removed)));
    }
    return o;
  }

  /** Candidates of the last pass (metrics). */
  public int candidateCount() {
    CleanupRule.Pass p = last;
    return p == null ? 0 : p.candidates().size();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
