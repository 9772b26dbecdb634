package io.muster.cli;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.exec.ProbeCompleter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code muster run}: the long-running agent. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Run the agent: discover, decide, serve the API until SIGTERM.")
final class RunCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @CommandLine.Option(
      names = "--dry-run",
      description =
          "Start without forming (no registration, discovery or rendering; the API only, the"
              + " health and peer ports not bound), ask the agent's own API once, stop: what"
              + " bin/muster-archive runs to make the class-data archive.")
  boolean dryRun;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    // SIGTERM/SIGINT end the agent cleanly (unregister, release) and the process with status 0,
    // which is what service managers expect of a requested stop. Taken before the agent starts:
    // its API may answer (and a stop may come) before start() returns.
    CountDownLatch stop = new CountDownLatch(1);
    Signals.onStop(signal -> stop.countDown());
    AgentConfig loaded = config.load();
    if (dryRun) {
      return dryRun(loaded);
    }
    Agent agent = Agent.start(loaded);
    // another live agent holds this node's name: stop as a config problem would (exit 2)
    agent.exitRequested().thenRun(stop::countDown);
    // the node left its cluster (muster leave): the agent's work is done, status 0
    agent.left().thenRun(stop::countDown);
    // Other ends of the JVM (SIGHUP, System.exit) still unregister; close() is idempotent.
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "muster-shutdown"));
    // A sidecar that does not start its node completes formation from the readiness probe.
    AutoCloseable readiness = ProbeCompleter.startIfConfigured(agent, loaded.exec());
    try {
      stop.await();
    } finally {
      try {
        readiness.close();
      } catch (Exception e) {
        // closing a probe thread does not fail
      }
      agent.close();
    }
    String reason = agent.exitRequested().getNow(null);
    if (reason != null) {
      throw agent.exitProblem(reason);
    }
    return 0;
  }

  /** {@code --dry-run}: an agent that does not form answers its own read-only endpoints once. */
  private int dryRun(AgentConfig loaded) {
    try (Agent agent = Agent.startIdle(loaded)) {
      HttpClient http = HttpClient.newHttpClient();
      StringBuilder answers = new StringBuilder();
      for (String path : new String[] {"/v1/status", "/v1/peers", "/metrics", "/health/live"}) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.apiPort() + path))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        answers
            .append(answers.length() == 0 ? "" : ", ")
            .append(path)
            .append(' ')
            .append(r.statusCode());
      }
      spec.commandLine()
          .getOut()
          .println(
              "dry run: agent for "
                  + agent.node()
                  + " (backend "
                  + loaded.factory().name()
                  + ") started without forming and answered "
                  + answers);
      return 0;
    } catch (IOException e) {
      throw new IllegalStateException("the agent's own API did not answer: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }
}
