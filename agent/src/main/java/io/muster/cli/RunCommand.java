package io.muster.cli;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.exec.ProbeCompleter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code muster run}: the long-running agent. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Run the agent: discover, decide, serve the API until SIGTERM.")
final class RunCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Override
  public Integer call() throws InterruptedException {
    // SIGTERM/SIGINT end the agent cleanly (unregister, release) and the process with status 0,
    // which is what service managers expect of a requested stop. Taken before the agent starts:
    // its API may answer (and a stop may come) before start() returns.
    CountDownLatch stop = new CountDownLatch(1);
    Signals.onStop(signal -> stop.countDown());
    AgentConfig loaded = config.load();
    Agent agent = Agent.start(loaded);
    // another live agent holds this node's name: stop as a config problem would (exit 2)
    agent.exitRequested().thenRun(stop::countDown);
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
}
