package io.muster.exec;

import io.muster.formation.Decision;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code muster run} with a readiness probe ({@code muster.exec.ready.*}): the agent, as a separate
 * sidecar, completes formation itself once the node it does not start answers the probe; a node not
 * ready within {@code muster.exec.ready.timeout} has its decision aborted and taken again. Without
 * a probe the node reports {@code POST /v1/formation/complete} itself.
 */
public final class ProbeCompleter implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProbeCompleter.class);

  private final RunningAgent agent;
  private final ExecSettings settings;
  private final Readiness probe;
  private final Thread thread;
  private volatile boolean closed;

  private ProbeCompleter(RunningAgent agent, ExecSettings settings) {
    this.agent = agent;
    this.settings = settings;
    this.probe = new Readiness(settings.probe().orElseThrow(), settings.readyInterval(), Map.of());
    this.thread = new Thread(this::run, "muster-readiness");
    this.thread.setDaemon(true);
  }

  /** Starts probing when a probe is configured; else returns a completer that does nothing. */
  public static AutoCloseable startIfConfigured(RunningAgent agent, ExecSettings settings) {
    if (settings.probe().isEmpty()) {
      return () -> {};
    }
    ProbeCompleter c = new ProbeCompleter(agent, settings);
    c.thread.start();
    return c;
  }

  private void run() {
    try {
      while (!closed && !agent.local().completed()) {
        Decision d;
        try {
          d = agent.engine().decision().get(1, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          continue;
        } catch (ExecutionException e) {
          return; // formation failed; the engine logged it
        }
        if (agent.local().completed()) {
          return;
        }
        // The node may start only once the start gate opens (GET /health/started: the seed
        // formed under join_when = seed_ready, files rendered); its time starts then.
        Decision taken = d;
        long opened =
            agent
                .startGate()
                .awaitOpen(
                    () -> closed || agent.local().decision() != taken, settings.readyInterval());
        if (opened < 0) {
          continue; // stopping, or the decision changed meanwhile
        }
        LOG.info(
            "Decision {}: the node may start; probing it ({}) every {} ms for at most {} s before"
                + " completing formation",
            d.action(),
            probe,
            settings.readyInterval().toMillis(),
            settings.readyTimeout().toSeconds());
        if (awaitReady(opened)) {
          complete();
        } else if (!closed) {
          LOG.warn(
              "The node was not ready within {} s (last probe: {}); deciding again",
              settings.readyTimeout().toSeconds(),
              probe.lastFailure());
          try {
            agent.engine().abort();
          } catch (RuntimeException e) {
            LOG.warn("Could not abort the decision: {}", e.getMessage());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean awaitReady(long from) throws InterruptedException {
    long deadline = from + settings.readyTimeout().toNanos();
    while (!closed && System.nanoTime() < deadline) {
      if (probe.check(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
        return true;
      }
      Thread.sleep(settings.readyInterval().toMillis());
    }
    return false;
  }

  private void complete() throws InterruptedException {
    // bounded: when it runs out the loop takes the decision and probes again
    if (Completion.complete(
        agent, settings.readyInterval(), () -> !closed, settings.readyTimeout())) {
      LOG.info("The node answered its readiness probe; formation complete");
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
