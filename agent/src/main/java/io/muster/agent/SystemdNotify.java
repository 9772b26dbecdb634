package io.muster.agent;

import io.muster.formation.Decision;
import io.muster.process.Commands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd that the agent is ready once the formation decision is taken, for the tarball's
 * {@code Type=notify} units. Java 17 cannot send a datagram to the Unix socket {@code
 * NOTIFY_SOCKET} names, so {@code systemd-notify --ready} sends it, as a child process: the units
 * therefore set {@code NotifyAccess=all}. Nothing runs where {@code NOTIFY_SOCKET} is unset (not
 * under systemd, or a {@code Type=simple} unit); a missing or failing {@code systemd-notify} is a
 * warning, never a reason to stop, since the agent works the same either way.
 */
public final class SystemdNotify {

  private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);
  private static final Duration BOUND = Duration.ofSeconds(10);

  private final String socket;
  private final String executable;
  private final AtomicBoolean sent = new AtomicBoolean();

  /**
   * @param env the process environment ({@code NOTIFY_SOCKET} is the only variable read)
   * @param executable the {@code systemd-notify} to run: a path, or a name looked up on PATH
   */
  SystemdNotify(Map<String, String> env, String executable) {
    String s = env.get("NOTIFY_SOCKET");
    this.socket = s == null || s.isBlank() ? null : s;
    this.executable = executable;
  }

  /** The agent's own environment and {@code systemd-notify} from PATH. */
  public static SystemdNotify fromEnvironment() {
    return new SystemdNotify(System.getenv(), "systemd-notify");
  }

  /**
   * Sends READY=1 once, when {@code decision} completes. The returned stage completes when that is
   * done (at once when not under systemd), for tests; nobody needs to wait for it.
   */
  public CompletableFuture<Void> readyWhen(CompletionStage<Decision> decision) {
    if (socket == null) {
      return CompletableFuture.completedFuture(null);
    }
    // off the formation thread: systemd-notify waits for systemd to take the message
    return decision.thenAcceptAsync(this::ready, SystemdNotify::daemon).toCompletableFuture();
  }

  private void ready(Decision d) {
    if (!sent.compareAndSet(false, true)) {
      return;
    }
    // Muster's own words only: a node name comes from a backend and is not systemd's to show.
    String status = "Formation decision taken: " + d.action() + "; see muster status";
    Commands.Result r =
        Commands.run(
            List.of(executable, "--ready", "--status=" + status),
            Map.of("NOTIFY_SOCKET", socket),
            BOUND);
    if (r.ok()) {
      LOG.info("Told systemd the agent is ready ({}), through {}", d.action(), executable);
    } else {
      LOG.warn(
          "Could not tell systemd the agent is ready ({} exit {}: {}); a Type=notify unit stays"
              + " 'activating' though the agent runs on",
          executable,
          r.exit(),
          r.tail());
    }
  }

  private static void daemon(Runnable task) {
    Thread t = new Thread(task, "muster-systemd-notify");
    t.setDaemon(true);
    t.start();
  }
}
