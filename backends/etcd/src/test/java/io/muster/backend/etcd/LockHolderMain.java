package io.muster.backend.etcd;

import io.muster.agent.AgentConfig;
import io.muster.spi.FormationLock;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A separate process that registers, takes the formation lock through the etcd backend and then
 * hangs while holding it, to be killed with SIGKILL by a test.
 */
public final class LockHolderMain {

  static final String HOLDING = "HOLDING-THE-FORMATION-LOCK";

  private LockHolderMain() {}

  public static void main(String[] args) throws Exception {
    AgentConfig config = AgentConfig.load(Path.of(args[0]), Map.of());
    Vertx vertx = Vertx.vertx();
    EtcdBackend backend = (EtcdBackend) config.createBackend(vertx);
    backend.register().toCompletableFuture().get(30, TimeUnit.SECONDS);
    var outcome = backend.acquire().toCompletableFuture().get(60, TimeUnit.SECONDS);
    if (!(outcome instanceof FormationLock.LockOutcome.Acquired)) {
      throw new IllegalStateException("lock not acquired: " + outcome);
    }
    System.out.println(HOLDING);
    System.out.flush();
    Thread.currentThread().join(); // hold until killed
  }
}
