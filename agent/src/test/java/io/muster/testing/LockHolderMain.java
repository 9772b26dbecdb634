package io.muster.testing;

import io.muster.agent.AgentConfig;
import io.muster.spi.Backend;
import io.muster.spi.FormationLock;
import io.muster.spi.Registration;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A separate process for tests: with the config file in {@code args[0]}, registers through the
 * configured lock backend, takes its formation lock, prints {@link #HOLDING} and hangs holding it,
 * to be killed with SIGKILL.
 */
public final class LockHolderMain {

  public static final String HOLDING = "HOLDING-THE-FORMATION-LOCK";

  private LockHolderMain() {}

  public static void main(String[] args) throws Exception {
    AgentConfig config = AgentConfig.load(Path.of(args[0]), Map.of());
    Backend backend = config.createBackend(Vertx.vertx());
    ((Registration) backend).register().toCompletableFuture().get(30, TimeUnit.SECONDS);
    var outcome =
        ((FormationLock) backend).acquire().toCompletableFuture().get(60, TimeUnit.SECONDS);
    if (!(outcome instanceof FormationLock.LockOutcome.Acquired)) {
      throw new IllegalStateException("lock not acquired: " + outcome);
    }
    System.out.println(HOLDING);
    System.out.flush();
    Thread.currentThread().join();
  }
}
