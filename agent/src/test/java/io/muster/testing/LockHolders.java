package io.muster.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test helper for lock backends: a separate process holding the formation lock ({@link
 * LockHolderMain}), and the "holder killed while agents wait" scenario.
 */
public final class LockHolders {

  private LockHolders() {}

  /** Starts node {@code i} as a lock-holding process and waits until it holds the lock. */
  public static Process spawnHolder(TestAgents agents, int i) throws IOException {
    Process holder = agents.spawn(i, LockHolderMain.class.getName(), "{conf}");
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(60)))
        .until(() -> agents.log(i).contains(LockHolderMain.HOLDING));
    return holder;
  }

  /**
   * With node {@code holderNode} holding the lock, starts agents 1..{@code waiters}, checks they
   * all wait for the lock undecided, kills the holder with SIGKILL and returns their decisions
   * (each awaited at most {@code decideBound}), printing the time from the kill as a {@code
   * [figure]} line.
   */
  public static List<Decision> killHolderWhileAgentsWait(
      TestAgents agents, int holderNode, int waiters, Duration decideBound, String label)
      throws Exception {
    Process holder = spawnHolder(agents, holderNode);
    List<Agent> waiting = new ArrayList<>();
    for (int i = 1; i <= waiters; i++) {
      waiting.add(agents.start(i));
    }
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(
            () ->
                waiting.stream()
                    .allMatch(a -> "the formation lock".equals(a.engine().waitingFor())));
    assertThat(waiting).allSatisfy(a -> assertThat(a.engine().decision()).isNotDone());
    long t0 = System.nanoTime();
    holder.destroyForcibly();
    holder.waitFor(10, TimeUnit.SECONDS);
    List<Decision> decisions = new ArrayList<>();
    for (Agent a : waiting) {
      decisions.add(a.engine().decision().get(decideBound.toMillis(), TimeUnit.MILLISECONDS));
    }
    System.out.printf(
        "[figure] kill -9 of the lock holder to all %d waiting agents decided (%s): %d ms%n",
        waiters, label, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    return decisions;
  }
}
