package io.muster.cli;

import io.muster.agent.Agent;
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
    Agent agent = Agent.start(config.load());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  stopped.countDown();
                },
                "muster-shutdown"));
    stopped.await();
    return 0;
  }
}
