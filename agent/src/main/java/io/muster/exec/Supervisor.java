// Over 350 lines: the child's whole life (start, ready, signals, stop) in one sequence.
package io.muster.exec;

import io.muster.formation.Decision;
import io.muster.formation.core.FormationStatus;
import io.muster.process.Processes;
import io.muster.spi.support.Backoff;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code muster exec}: takes the formation decision, renders the files, starts the server with the
 * decision in its environment, waits for its readiness probe, completes formation, and stays with
 * it: a stop signal is forwarded and the exit status is the child's; a child that dies ends the
 * supervisor (non-zero); a child never ready is stopped and the decision taken again.
 */
public final class Supervisor {

  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
  private static final Duration TICK = Duration.ofMillis(100);

  /** How waiting for the child's readiness ended. */
  private sealed interface Waited permits Ready, NotReady, Withdrawn, ResetAsked, Ended {}

  /** The child is ready (its probe passed, or it completed formation through the API). */
  private record Ready() implements Waited {}

  /** The readiness time-out passed first. */
  private record NotReady() implements Waited {}

  /** The decision was withdrawn while the child booted. */
  private record Withdrawn() implements Waited {}

  /**
   * Declarative mode, gospel {@code reset}: the formed (or rejoining) node is to be stopped and
   * reset, and the agent decides again.
   */
  private record ResetAsked() implements Waited {}

  /** The supervisor ends with {@code status} (the child died, or a stop signal came). */
  private record Ended(int status) implements Waited {}

  /** How waiting for the seed to form ended. */
  private enum SeedWait {
    FORMED,
    TIMED_OUT,
    STOPPING
  }

  private final RunningAgent agent;
  private final ExecSettings settings;
  private final List<String> command;
  private volatile String stopSignal;
  private volatile Process child;

  /** The child's processes as last seen: once it is gone they are re-parented and unfindable. */
  private volatile List<ProcessHandle> known = List.of();

  private long knownAt;

  public Supervisor(RunningAgent agent, ExecSettings settings, List<String> command) {
    this.agent = agent;
    this.settings = settings;
    this.command = List.copyOf(command);
  }

  /** A stop signal arrived (TERM or INT): forwarded to the child, then the supervisor ends. */
  public void stop(String signal) {
    stopSignal = signal;
  }

  /** Runs until the child ends or a stop signal; returns the exit status to end with. */
  public int run() throws InterruptedException {
    settings.reloadSignal().ifPresent(sig -> agent.render().onWritten(file -> reload(sig, file)));
    settings
        .reloadSignal()
        .filter(Supervisor::ignoredHere)
        .ifPresent(
            sig ->
                LOG.warn(
                    "SIG{} is ignored by this process (started under nohup?) and {} inherits that: it will"
                        + " not see muster.exec.reload_signal. Start muster exec without it, or choose"
                        + " another signal",
                    sig,
                    command.get(0)));
    String left = agent.engine().pendingAtStart();
    if (left != null) {
      // an earlier run published a decision the node never completed: its data is not a member's
      NodeReset.reset(
          settings,
          Map.of("MUSTER_NODE", agent.node().toString()),
          "left by an earlier run: " + left);
    }
    for (int attempt = 1; ; attempt++) {
      Decision d = awaitDecision();
      if (d == null) {
        return 0;
      }
      String reset = agent.engine().takeResetBeforeStart();
      if (reset != null) {
        if (!NodeReset.reset(settings, Map.of("MUSTER_NODE", agent.node().toString()), reset)) {
          // its data is another cluster's: started as it is, the node would not join. The record
          // stays, so the next start decides (and resets) again
          LOG.error("The node's data could not be reset ({}); not starting it (exit 1)", reset);
          return 1;
        }
        agent.engine().nodeReset();
      }
      if (agent.engine().withdrawn() != null) {
        acknowledgeWithdrawal(null, d); // withdrawn before the node was started
        attempt--;
        continue;
      }
      if (d instanceof Decision.Join && settings.joinWhen() == ExecSettings.JoinWhen.SEED_READY) {
        SeedWait formed = awaitSeedFormed(d);
        if (formed == SeedWait.STOPPING) {
          return 0;
        }
        if (formed == SeedWait.TIMED_OUT) {
          if (attempt >= settings.attempts()) {
            LOG.error(
                "Seed {} never formed within muster.exec.ready.timeout in {} attempts; giving up (exit 1)",
                d.seed(),
                attempt);
            return 1;
          }
          abort(attempt);
          continue;
        }
      }
      if (!agent.render().renderNow()) {
        LOG.error(
            "Could not render the configured files (see above); not starting {} (exit 1)",
            command.get(0));
        return 1;
      }
      Process p;
      try {
        p = start(d);
      } catch (IOException e) {
        LOG.error("Cannot start {}: {} (exit 1)", command, e.getMessage());
        return 1;
      }
      Waited ready = awaitReady(p);
      if (ready instanceof Ready) {
        if (agent.local().completed() || completeFormation()) {
          ready = awaitEnd(p);
        } else if (stopSignal == null && agent.engine().withdrawn() != null && p.isAlive()) {
          ready = new Withdrawn();
        } else {
          return stopSignal != null ? forwardStop(p) : died(p, "before formation completed");
        }
      }
      if (ready instanceof ResetAsked) {
        if (!resetFormed(p, d)) {
          return 1;
        }
        attempt = 0; // a new formation, not a retry of this one
        continue;
      }
      if (ready instanceof Withdrawn) {
        acknowledgeWithdrawal(p, d);
        attempt--; // not the child's fault: the store could not prove its decision
        continue;
      }
      if (ready instanceof Ended end) {
        return end.status();
      }
      // Not ready in time: stop it, forget the decision and take a fresh one.
      agent.metrics().exec("not_ready");
      LOG.warn(
          "{} not ready within {} s (last probe: {}); stopping it and taking the decision again",
          command.get(0),
          settings.readyTimeout().toSeconds(),
          lastProbe);
      Processes.killTree(p.toHandle(), settings.stopTimeout());
      // it never completed: whatever it wrote (a half join, a standalone boot) is not a member's
      NodeReset.reset(settings, decisionEnv(d), "it was not ready in time");
      if (attempt >= settings.attempts()) {
        LOG.error(
            "{} never became ready in {} attempts (muster.exec.ready.attempts); giving up (exit 1)",
            command.get(0),
            attempt);
        return 1;
      }
      abort(attempt);
    }
  }

  /**
   * Declarative mode, gospel {@code reset}: stops the node, resets its data and tells the agent,
   * which decides again as a fresh node. False when the reset failed: the record stays, so the next
   * start resets again (it never starts the node on its old data).
   */
  private boolean resetFormed(Process p, Decision d) throws InterruptedException {
    String why = agent.engine().resetFormed();
    agent.metrics().exec("reset");
    LOG.warn(
        "{}; stopping {} (pid {}), resetting its data, then deciding again",
        why,
        command.get(0),
        p.pid());
    stopChild(p, "TERM", "to reset its data");
    child = null;
    if (!NodeReset.reset(settings, decisionEnv(d), why)) {
      LOG.error("The node's data could not be reset; not starting it again (exit 1)");
      return false;
    }
    agent.engine().formedNodeReset();
    return true;
  }

  /**
   * The decision was withdrawn (formation.md invariant 9: a seed that could not prove its claim, a
   * joiner whose cluster is not the store's): stop the node, reset its data (it never completed),
   * then abort, which lets the agent decide again.
   */
  private void acknowledgeWithdrawal(Process p, Decision d) {
    String why = agent.engine().withdrawn();
    agent.metrics().exec("withdrawn");
    if (p != null) {
      LOG.warn(
          "Decision {} {} withdrawn ({}); stopping {} (pid {}), resetting its data, then deciding"
              + " again",
          d.action(),
          d.seed(),
          why,
          command.get(0),
          p.pid());
      Processes.killTree(p.toHandle(), settings.stopTimeout());
      child = null;
      NodeReset.reset(settings, decisionEnv(d), "decision withdrawn: " + why);
    } else {
      LOG.warn("Decision {} {} withdrawn ({}) before the node started", d.action(), d.seed(), why);
    }
    try {
      agent.engine().abort();
    } catch (RuntimeException e) {
      LOG.warn("Could not acknowledge the withdrawal: {}; retrying", e.getMessage());
      try {
        Thread.sleep(Backoff.jitter(settings.readyInterval()).toMillis());
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private volatile String lastProbe =
      "no probe configured: waiting for POST /v1/formation/complete";

  private Decision awaitDecision() throws InterruptedException {
    LOG.info("Waiting for the formation decision before starting {}", command.get(0));
    while (stopSignal == null) {
      if (agent.engine().withdrawn() != null && agent.local().decision() != null) {
        return agent.local().decision(); // withdrawn: acknowledged by the caller
      }
      try {
        return agent.engine().decision().get(TICK.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // keep waiting: formation logs its own progress and bounds
      } catch (ExecutionException e) {
        throw new IllegalStateException(
            "formation failed: " + e.getCause().getMessage(), e.getCause());
      }
    }
    return null;
  }

  /** Waits for the seed to form: formed, timed out, or stopping. */
  private SeedWait awaitSeedFormed(Decision d) throws InterruptedException {
    LOG.info(
        "Decision: join {}; muster.exec.join_when = seed_ready, so {} starts once {} has formed (waiting at most {} s)",
        d.seed(),
        command.get(0),
        d.seed(),
        settings.readyTimeout().toSeconds());
    long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
    int checks = 0;
    while (stopSignal == null && System.nanoTime() < deadline) {
      try {
        if (agent.engine().seedFormed()) {
          LOG.info("Seed {} has formed; starting {}", d.seed(), command.get(0));
          return SeedWait.FORMED;
        }
      } catch (IllegalStateException e) {
        LOG.warn(
            "Could not learn whether {} has formed: {}; asking again", d.seed(), e.getMessage());
      }
      checks++;
      if (checks % 40 == 0) {
        LOG.info(
            "Still waiting for seed {} to form ({} s left)",
            d.seed(),
            TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
      }
      Thread.sleep(Backoff.jitter(settings.readyInterval()).toMillis());
    }
    return stopSignal == null ? SeedWait.TIMED_OUT : SeedWait.STOPPING;
  }

  private void abort(int attempt) {
    try {
      agent.engine().abort();
      LOG.info("Decision aborted; {}", FormationStatus.attemptsLeft(settings.attempts() - attempt));
    } catch (RuntimeException e) {
      LOG.warn("Could not abort the decision: {}", e.getMessage());
    }
  }

  private Process start(Decision d) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
    pb.environment().putAll(decisionEnv(d));
    Process p = pb.start();
    agent.metrics().exec("started");
    child = p;
    known = List.of();
    knownAt = 0;
    LOG.info(
        "Started {} (pid {}) with MUSTER_ACTION={} MUSTER_SEED={} MUSTER_PEERS=\"{}\"; next: wait for readiness ({})",
        command,
        p.pid(),
        d.action(),
        d.seed(),
        peers(d),
        settings
            .probe()
            .map(Object::toString)
            .orElse("the node calls POST /v1/formation/complete"));
    return p;
  }

  /** The decision as the child sees it. */
  Map<String, String> decisionEnv(Decision d) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MUSTER_ACTION", d.action());
    env.put("MUSTER_SEED", d.seed().toString());
    env.put("MUSTER_PEERS", peers(d));
    env.put("MUSTER_CLUSTER_ID", d.clusterId() == null ? "" : d.clusterId());
    env.put("MUSTER_NODE", agent.node().toString());
    env.put("MUSTER_API", "http://127.0.0.1:" + agent.apiPort());
    env.put("MUSTER_DATA_DIR", agent.dataDir().toString());
    agent.apiTokenFile().ifPresent(f -> env.put("MUSTER_API_TOKEN_FILE", f.toString()));
    return env;
  }

  private static String peers(Decision d) {
    return d.peers().stream().map(Object::toString).collect(Collectors.joining(" "));
  }

  /**
   * Probes until the child is ready, the readiness time-out passes, the decision is withdrawn, or
   * the supervisor must end (the child died, or a stop signal came).
   */
  private Waited awaitReady(Process p) throws InterruptedException {
    Readiness probe =
        settings
            .probe()
            .map(pr -> new Readiness(pr, settings.readyInterval(), Map.of()))
            .orElse(null);
    long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
    while (System.nanoTime() < deadline) {
      if (stopSignal != null) {
        return new Ended(forwardStop(p));
      }
      remember(p);
      if (!p.isAlive()) {
        return new Ended(died(p, "before it became ready"));
      }
      if (agent.engine().withdrawn() != null) {
        return new Withdrawn();
      }
      if (agent.engine().resetFormed() != null) {
        return new ResetAsked();
      }
      if (probe == null
          ? agent.local().completed()
          : probe.check(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
        agent.metrics().exec("ready");
        LOG.info(
            "{} is ready ({})",
            command.get(0),
            probe == null
                ? "it completed formation through the API"
                : "probe " + probe + " passed");
        return new Ready();
      }
      if (probe != null) {
        lastProbe = probe.lastFailure();
      }
      p.waitFor(settings.readyInterval().toMillis(), TimeUnit.MILLISECONDS);
    }
    return new NotReady();
  }

  /** Completes formation, retrying a backend that fails; false when stopping or not ready. */
  private boolean completeFormation() throws InterruptedException {
    if (stopSignal != null || child == null || !child.isAlive()) {
      return false;
    }
    return Completion.complete(
        agent,
        settings.readyInterval(),
        () -> stopSignal == null && child.isAlive(),
        settings.readyTimeout());
  }

  /** Until the child ends (or a stop signal), or, in declarative mode, a reset is asked for. */
  private Waited awaitEnd(Process p) throws InterruptedException {
    LOG.info(
        "{} is running as a member; Muster keeps its registration alive until it stops",
        command.get(0));
    while (true) {
      if (stopSignal != null) {
        return new Ended(forwardStop(p));
      }
      if (agent.engine().resetFormed() != null) {
        return new ResetAsked();
      }
      remember(p);
      if (p.waitFor(TICK.toMillis(), TimeUnit.MILLISECONDS)) {
        return new Ended(died(p, "while running"));
      }
    }
  }

  private int died(Process p, String when) {
    int status = p.exitValue();
    agent.metrics().exec("died");
    LOG.error(
        "{} (pid {}) exited {} with status {}; unregistering and exiting non-zero",
        command.get(0),
        p.pid(),
        when,
        status);
    List<ProcessHandle> outlived = known.stream().filter(ProcessHandle::isAlive).toList();
    if (!outlived.isEmpty()) {
      LOG.warn(
          "Processes {} started by {} outlived it; stopping them",
          outlived.stream().map(ProcessHandle::pid).toList(),
          command.get(0));
      Processes.killTrees(outlived, Duration.ofSeconds(2));
    }
    return status == 0 ? 1 : status;
  }

  /** Refreshes the list of the child's processes, about once a second. */
  private void remember(Process p) {
    long now = System.nanoTime();
    if (p.isAlive() && (knownAt == 0 || now - knownAt > TimeUnit.SECONDS.toNanos(1))) {
      known = p.descendants().toList();
      knownAt = now;
    }
  }

  /** Sends the stop signal on to the child and waits (bounded) for it; returns its status. */
  private int forwardStop(Process p) throws InterruptedException {
    agent.metrics().exec("stopped");
    return stopChild(p, stopSignal, "forwarded: the agent received it");
  }

  /** Stops the child with {@code signal}, its processes too, bounded; returns its status. */
  private int stopChild(Process p, String signal, String why) throws InterruptedException {
    List<ProcessHandle> descendants = p.descendants().toList();
    long deadline = System.nanoTime() + settings.stopTimeout().toNanos();
    LOG.info(
        "Stopping {} (pid {}) with SIG{} ({}); waiting up to {} s",
        command.get(0),
        p.pid(),
        signal,
        why,
        settings.stopTimeout().toSeconds());
    signal(p, signal);
    // One deadline for the child and its processes. The signal went to the child only; once it
    // has exited, what it left running is asked to stop at once (a shell's background job never
    // heard the signal and would otherwise sit out the whole time-out). Only the top of what is
    // left gets SIGTERM, never the process group blindly: a server stops its own helpers in order
    // (RabbitMQ's beam.smp stops erl_child_setup). They get what is left of the deadline; then
    // whatever remains gets SIGTERM and, 5 s later, SIGKILL, all at once.
    p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    if (!p.isAlive()) {
      List<ProcessHandle> tops = topsOf(descendants);
      if (!tops.isEmpty()) {
        LOG.info(
            "{} exited; asking what it left running to stop now (SIGTERM to {}), up to {} ms",
            command.get(0),
            tops.stream().map(ProcessHandle::pid).toList(),
            Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        tops.forEach(ProcessHandle::destroy);
      }
    }
    for (ProcessHandle h : descendants) {
      try {
        h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // still running: stopped below
      }
    }
    List<ProcessHandle> left = new ArrayList<>();
    if (p.isAlive()) {
      left.add(p.toHandle());
    }
    descendants.stream().filter(ProcessHandle::isAlive).forEach(left::add);
    if (!left.isEmpty()) {
      LOG.warn(
          "{} or its processes did not exit within {} s: stopping {}",
          command.get(0),
          settings.stopTimeout().toSeconds(),
          left.stream().map(ProcessHandle::pid).toList());
      Processes.killTrees(left, Duration.ofSeconds(5));
      p.waitFor(5, TimeUnit.SECONDS);
    }
    int status = p.isAlive() ? 1 : p.exitValue();
    LOG.info("{} exited with status {}", command.get(0), status);
    return status;
  }

  /**
   * The live processes among {@code processes} whose parent is not itself among the live ones: the
   * tops of what a child left running (orphans, now the init process's), each of which stops its
   * own processes.
   */
  static List<ProcessHandle> topsOf(List<ProcessHandle> processes) {
    Set<Long> live = new HashSet<>();
    processes.stream().filter(ProcessHandle::isAlive).forEach(h -> live.add(h.pid()));
    return processes.stream()
        .filter(ProcessHandle::isAlive)
        .filter(h -> h.parent().map(parent -> !live.contains(parent.pid())).orElse(true))
        .toList();
  }

  /**
   * A rendered file's content changed: {@code muster.exec.reload_signal} goes to the child while it
   * runs (before it started, it reads the file anyway).
   */
  private void reload(String signal, java.nio.file.Path file) {
    Process p = child;
    if (p == null || !p.isAlive()) {
      return;
    }
    LOG.info(
        "{} changed: sending SIG{} to {} (pid {}), as muster.exec.reload_signal asks",
        file,
        signal,
        command.get(0),
        p.pid());
    agent.metrics().exec("reloaded");
    if (!kill(p, signal)) {
      LOG.warn("Could not send SIG{} to {} (pid {})", signal, command.get(0), p.pid());
    }
  }

  private static boolean ignoredHere(String signal) {
    try {
      return ExecSettings.ignored(
          signal, java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/status")));
    } catch (IOException | RuntimeException e) {
      return false; // not Linux, or no /proc: nothing to say
    }
  }

  /** SIGTERM through the JDK; SIGINT (which the JDK cannot send) through kill(1). */
  private static void signal(Process p, String signal) {
    if ("INT".equals(signal) && kill(p, "INT")) {
      return;
    }
    p.destroy();
  }

  /** Sends {@code signal} (a name without SIG) to {@code p} with kill(1); false if that failed. */
  private static boolean kill(Process p, String signal) {
    try {
      Process k =
          new ProcessBuilder("kill", "-s", signal, Long.toString(p.pid())).inheritIO().start();
      return k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0;
    } catch (IOException e) {
      LOG.debug("kill -s {} unavailable: {}", signal, e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Stops the child if it still runs (the supervisor itself is ending). */
  public void killChild() {
    Process p = child;
    if (p != null && p.isAlive()) {
      Processes.killTree(p.toHandle(), settings.stopTimeout());
    }
  }
}
