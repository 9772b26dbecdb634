package io.muster.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Test helper: boots agents at one instant plus random jitter and checks the one-seed invariant.
 */
public final class BootTogether {

  private BootTogether() {}

  /**
   * Starts agents 1..n (each after its own random delay up to {@code maxJitterMs}), waits for every
   * decision, prints the time it took as a {@code [figure]} line, and returns the decisions in node
   * order; the agents are added to {@code out}.
   */
  public static List<Decision> boot(
      IntFunction<Agent> start, int n, int maxJitterMs, String label, List<Agent> out)
      throws Exception {
    long t0 = System.nanoTime();
    List<Agent> agents = startAll(start, 1, n, maxJitterMs);
    out.addAll(agents);
    List<Decision> decisions = new ArrayList<>();
    for (Agent a : agents) {
      decisions.add(a.engine().decision().get(60, TimeUnit.SECONDS));
    }
    System.out.printf(
        "[figure] %d agents (jitter <= %d ms) all decided on %s in %d ms%n",
        n, maxJitterMs, label, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    return decisions;
  }

  /**
   * Starts agents {@code from..to} at one instant, each after its own random delay up to {@code
   * maxJitterMs}; returns them in node order once all have started (not decided).
   */
  public static List<Agent> startAll(IntFunction<Agent> start, int from, int to, int maxJitterMs)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, to - from + 1));
    CountDownLatch gate = new CountDownLatch(1);
    List<CompletableFuture<Agent>> started = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      int node = i;
      long jitter = maxJitterMs == 0 ? 0 : ThreadLocalRandom.current().nextLong(maxJitterMs + 1);
      started.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  gate.await();
                  // A staggered start is the input being tested, not a wait for a condition.
                  TimeUnit.MILLISECONDS.sleep(jitter);
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
                return start.apply(node);
              },
              pool));
    }
    gate.countDown();
    List<Agent> agents = new ArrayList<>();
    try {
      for (CompletableFuture<Agent> f : started) {
        agents.add(f.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdown();
    }
    return agents;
  }

  /** Exactly one seed; everyone else joins it (it first in the join order), one cluster id. */
  public static void assertOneCluster(List<Decision> decisions) {
    List<Decision> seeds = decisions.stream().filter(d -> d instanceof Decision.Seed).toList();
    assertThat(seeds).as("seeds among %s", decisions).hasSize(1);
    Decision seed = seeds.get(0);
    for (Decision d : decisions) {
      assertThat(d.clusterId()).isEqualTo(seed.clusterId());
      if (d instanceof Decision.Join join) {
        assertThat(join.seed()).isEqualTo(seed.seed());
        assertThat(join.peers()).as("join order of %s", d).first().isEqualTo(seed.seed());
      }
    }
  }

  /**
   * Completes every agent's node, the seed first: a joiner completes only once the store's formed
   * marker names its cluster (formation.md invariant 9), as a real joiner's node retries.
   */
  public static void completeSeedFirst(List<io.muster.agent.Agent> agents) {
    List<io.muster.agent.Agent> order = new java.util.ArrayList<>(agents);
    order.sort(
        (a, b) ->
            Boolean.compare(
                !(a.engine().decision().join() instanceof io.muster.formation.Decision.Seed),
                !(b.engine().decision().join() instanceof io.muster.formation.Decision.Seed)));
    for (io.muster.agent.Agent a : order) {
      a.engine().complete();
    }
  }
}
