package io.muster.cli;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.exec.Supervisor;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code muster exec -- <command...>}: supervise the node's boot under the formation decision. */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    description = {
      "Take the formation decision, render files, then start the command with MUSTER_ACTION,"
          + " MUSTER_SEED and MUSTER_PEERS in its environment; complete formation when its"
          + " readiness probe passes; forward SIGTERM/SIGINT and exit with its status.",
      "Example: muster exec --config /etc/muster/muster.conf -- rabbitmq-server"
    })
final class ExecCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(ExecCommand.class);

  @Mixin ConfigOption config;

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The server to run, after --")
  List<String> command;

  @Override
  public Integer call() throws InterruptedException {
    AgentConfig loaded = config.load();
    // Signals are taken before the agent starts: one that arrives while it starts is kept and
    // handed to the supervisor, so nothing is started after a stop was asked for.
    AtomicReference<String> early = new AtomicReference<>();
    AtomicReference<Supervisor> running = new AtomicReference<>();
    Signals.onStop(
        signal -> {
          early.set(signal);
          Supervisor s = running.get();
          if (s != null) {
            s.stop(signal);
          }
        });
    Agent agent = Agent.startUnderExec(loaded);
    Supervisor supervisor = new Supervisor(agent, loaded.exec(), command);
    running.set(supervisor);
    if (early.get() != null) {
      supervisor.stop(early.get());
    }
    // another live agent holds this node's name: stop the child, then exit 2
    agent.exitRequested().thenRun(() -> supervisor.stop("TERM"));
    // the node left its cluster (muster leave): stop the child, then exit 0
    agent.left().thenRun(() -> supervisor.stop("TERM"));
    // Any other end of the JVM (SIGHUP, an error) still stops the child and unregisters.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  supervisor.killChild();
                  agent.close();
                },
                "muster-shutdown"));
    int status;
    try {
      status = supervisor.run();
    } catch (RuntimeException e) {
      LOG.error("muster exec failed: {}", e.getMessage(), e);
      status = 1;
    } finally {
      supervisor.killChild();
      agent.close();
    }
    String reason = agent.exitRequested().getNow(null);
    if (reason != null) {
      throw agent.exitProblem(reason);
    }
    if (agent.left().isDone()) {
      LOG.info("muster exec ends: the node left cluster {}", agent.left().join());
      return 0;
    }
    LOG.info("muster exec ends with status {}", status);
    return status;
  }
}
