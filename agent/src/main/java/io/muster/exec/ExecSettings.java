package io.muster.exec;

import io.muster.config.Config;
import io.muster.process.Commands;
import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code muster exec} settings: how the child's readiness is probed, how long it may take, how
 * often a never-ready child is restarted with a new decision, how long it gets to stop, and whether
 * joiners start with the seed or once it has formed.
 */
public record ExecSettings(
    Optional<Probe> probe,
    Duration readyTimeout,
    Duration readyInterval,
    int attempts,
    Duration stopTimeout,
    JoinWhen joinWhen,
    Optional<List<String>> resetCommand,
    Optional<Path> nodeDataDir,
    Optional<List<String>> leaveCommand,
    Optional<String> reloadSignal) {

  /** True when a node that never completed can be reset before it is started again. */
  public boolean canReset() {
    return resetCommand.isPresent() || nodeDataDir.isPresent();
  }

  /** When a node told to join starts its child. */
  public enum JoinWhen {
    /** At once, in parallel with the seed (formation.md); the node keeps retrying its join. */
    IMMEDIATELY,
    /**
     * Once the seed's node has completed formation (for servers that cannot join a booting seed).
     */
    SEED_READY
  }

  /** A readiness probe. */
  public sealed interface Probe {
    /** Ready when a TCP connection to host:port succeeds. */
    record Tcp(String host, int port) implements Probe {}

    /** Ready when GET url answers 2xx. */
    record Http(URI url) implements Probe {}

    /** Ready when the command exits 0. */
    record Command(List<String> args) implements Probe {}
  }

  public static final Key<String> READY_TCP =
      Key.scalar(
          "muster.exec.ready.tcp",
          KeyType.STRING,
          null,
          "Readiness probe: host:port that accepts a TCP connection once the node is ready");
  public static final Key<URI> READY_HTTP =
      Key.scalar(
          "muster.exec.ready.http",
          KeyType.httpUrl("http:// or https:// URL", "an http:// or https:// URL"),
          null,
          "Readiness probe: URL that answers 2xx once the node is ready");
  public static final Key<String> READY_COMMAND =
      Key.scalar(
          "muster.exec.ready.command",
          KeyType.STRING,
          null,
          "Readiness probe: command (no shell) that exits 0 once the node is ready; without any probe the node reports itself with POST /v1/formation/complete");
  public static final Key<Duration> READY_TIMEOUT =
      Key.scalar(
          "muster.exec.ready.timeout",
          KeyType.duration("s", Duration.ofSeconds(1), Duration.ofHours(24)),
          Duration.ofSeconds(300),
          "A child not ready after this long is stopped and the decision taken again");
  public static final Key<Duration> READY_INTERVAL =
      Key.scalar(
          "muster.exec.ready.interval",
          KeyType.duration("ms", Duration.ofMillis(20), Duration.ofMinutes(5)),
          Duration.ofMillis(250),
          "Time between readiness probes (also the bound on one probe)");
  public static final Key<Integer> ATTEMPTS =
      Key.scalar(
          "muster.exec.ready.attempts",
          KeyType.integer(1, 1000),
          3,
          "How many times the child is started with a fresh decision before muster exec gives up"
              + " (exit 1)");
  public static final Key<Duration> STOP_TIMEOUT =
      Key.scalar(
          "muster.exec.stop_timeout",
          KeyType.duration("s", Duration.ofMillis(100), Duration.ofHours(1)),
          Duration.ofSeconds(30),
          "After forwarding SIGTERM/SIGINT, how long the child may take to exit before it and"
              + " its processes are killed");
  public static final Key<String> JOIN_WHEN =
      Key.scalar(
          "muster.exec.join_when",
          KeyType.oneOf("immediately", "seed_ready"),
          "immediately",
          "immediately: a joiner's child starts in parallel with the seed's and retries its join;"
              + " seed_ready: it starts once the seed's node has formed (RabbitMQ 3.10 cannot"
              + " join a seed that is still enabling its feature flags)");

  public static final Key<String> RESET_COMMAND =
      Key.scalar(
          "muster.node.reset_command",
          KeyType.STRING,
          null,
          "Command (no shell) that resets the node's data when the node never completed formation"
              + " (a withdrawn or aborted decision, or one left by an earlier run): RabbitMQ runs"
              + " peer discovery only on a blank node. Run by muster exec with the node stopped");
  public static final Key<Path> NODE_DATA_DIR =
      Key.scalar(
          "muster.node.data_dir",
          KeyType.PATH,
          null,
          "The node's own data directory: muster exec empties it (the directory stays) when the"
              + " node never completed formation, instead of muster.node.reset_command");

  public static final Key<String> LEAVE_COMMAND =
      Key.scalar(
          "muster.node.leave_command",
          KeyType.STRING,
          null,
          "Command (no shell) that makes a member node leave its cluster for a planned"
              + " decommission (muster leave), e.g. the tarball's rabbitmq/leave-cluster (rabbitmqctl"
              + " stop_app, then reset: the node tells its peers it leaves). Then the agent"
              + " unregisters, removes its membership record and stops");

  /**
   * Signals a child may be asked to reload with (names without SIG, as kill(1) takes them), and
   * their numbers on Linux (the same on x86-64 and arm64), for /proc/PID/status masks.
   */
  private static final java.util.Map<String, Integer> RELOAD_SIGNALS =
      java.util.Map.of("HUP", 1, "INT", 2, "QUIT", 3, "USR1", 10, "USR2", 12, "WINCH", 28);

  /**
   * Whether {@code signal} is ignored in a process whose {@code /proc/PID/status} is {@code
   * status}: a child inherits an ignored signal, and a shell cannot even trap one it was started
   * with ignored (POSIX), so under {@code nohup} a child never sees SIGHUP.
   */
  static boolean ignored(String signal, String status) {
    Integer n = RELOAD_SIGNALS.get(signal);
    for (String line : status.split("\n")) {
      if (n != null && line.startsWith("SigIgn:")) {
        long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
        return (mask & (1L << (n - 1))) != 0;
      }
    }
    return false;
  }

  public static final Key<String> RELOAD_SIGNAL =
      Key.scalar(
          "muster.exec.reload_signal",
          KeyType.of(
              "signal name (HUP, USR1, USR2, INT, QUIT or WINCH; SIG prefix optional)",
              raw -> {
                String name = raw.toUpperCase(Locale.ROOT);
                name = name.startsWith("SIG") ? name.substring(3) : name;
                if (!RELOAD_SIGNALS.containsKey(name)) {
                  throw new IllegalArgumentException(
                      "one of SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGQUIT, SIGWINCH");
                }
                return name;
              }),
          null,
          "Signal sent to the child of muster exec when a rendered file's content changed while it"
              + " runs (as consul-template's -exec-reload-signal); besides muster.render.N.command");

  public static final List<Key<?>> KEYS =
      List.of(
          RELOAD_SIGNAL,
          RESET_COMMAND,
          LEAVE_COMMAND,
          NODE_DATA_DIR,
          READY_TCP,
          READY_HTTP,
          READY_COMMAND,
          READY_TIMEOUT,
          READY_INTERVAL,
          ATTEMPTS,
          STOP_TIMEOUT,
          JOIN_WHEN);

  /**
   * @throws InvalidSettingException when probes conflict or a value does not fit
   */
  public static ExecSettings from(Config config) {
    Optional<Probe> tcp = config.find(READY_TCP).map(ExecSettings::tcp);
    Optional<Probe> http = config.find(READY_HTTP).map(Probe.Http::new);
    Optional<Probe> command;
    try {
      command = config.find(READY_COMMAND).map(c -> new Probe.Command(Commands.split(c)));
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(READY_COMMAND, e.getMessage());
    }
    // Blame the second probe set, a key the operator wrote (with its line).
    if (tcp.isPresent() && http.isPresent()
        || (tcp.isPresent() || http.isPresent()) && command.isPresent()) {
      Key<?> second = command.isPresent() ? READY_COMMAND : READY_HTTP;
      throw new InvalidSettingException(
          second, "one readiness probe: tcp, http or command, not several");
    }
    Optional<Probe> probe = tcp.or(() -> http).or(() -> command);
    Optional<List<String>> reset;
    try {
      reset = config.find(RESET_COMMAND).map(Commands::split);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(RESET_COMMAND, e.getMessage());
    }
    Optional<List<String>> leave;
    try {
      leave = config.find(LEAVE_COMMAND).map(Commands::split);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(LEAVE_COMMAND, e.getMessage());
    }
    Optional<Path> nodeData = config.find(NODE_DATA_DIR);
    if (reset.isPresent() && nodeData.isPresent()) {
      throw new InvalidSettingException(
          NODE_DATA_DIR, "one way to reset the node: muster.node.reset_command or this, not both");
    }
    if (nodeData.isPresent()
        && (nodeData.get().getNameCount() < 2 || !nodeData.get().isAbsolute())) {
      throw new InvalidSettingException(
          NODE_DATA_DIR,
          "an absolute path at least two levels deep (its contents are deleted), got "
              + nodeData.get());
    }
    return new ExecSettings(
        probe,
        config.get(READY_TIMEOUT),
        config.get(READY_INTERVAL),
        config.get(ATTEMPTS),
        config.get(STOP_TIMEOUT),
        JoinWhen.valueOf(config.get(JOIN_WHEN).toUpperCase(Locale.ROOT)),
        reset,
        nodeData,
        leave,
        config.find(RELOAD_SIGNAL));
  }

  private static Probe tcp(String raw) {
    int colon = raw.lastIndexOf(':');
    if (colon <= 0) {
      throw new InvalidSettingException(READY_TCP, "host:port, got " + raw);
    }
    String host = raw.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      KeyType.HOST_ADDRESS.parse(host);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(
          READY_TCP, "host:port with a host name or address, got " + raw);
    }
    try {
      int port = Integer.parseInt(raw.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
      return new Probe.Tcp(host, port);
    } catch (NumberFormatException e) {
      throw new InvalidSettingException(READY_TCP, "host:port with a port 1..65535, got " + raw);
    }
  }
}
