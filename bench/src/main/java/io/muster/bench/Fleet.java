package io.muster.bench;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.formation.Decision;
import io.muster.formation.NodeState;
import io.muster.spi.NodeName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;

/**
 * N real agents in this JVM (each with its own Vert.x, as the tests' TestAgents), started at one
 * instant behind a barrier, with the benchmark playing their nodes as the split-brain hunt does: a
 * seed's node completes at once, a joiner's once a node of its join list has formed. Records when
 * each agent decided and formed, counted from the barrier's release.
 */
final class Fleet implements AutoCloseable {

  /** What one boot of the fleet came to; times in ms from the start instant, -1 if never. */
  record Result(
      int agents,
      int started,
      int decided,
      int formed,
      int seeds,
      double allDecidedMs,
      double allFormedMs,
      double jvmCpuMs,
      double etcdCpuMs,
      String failure) {
    boolean finished() {
      return formed == agents;
    }
  }

  private final int n;
  private final List<Agent> agents = new ArrayList<>();
  private final AtomicLongArray decidedAt;
  private final long[] formedAt;
  private final Semaphore changed = new Semaphore(0);
  private final List<CompletableFuture<Agent>> starts = new ArrayList<>();
  private long t0;
  private Result result;

  private Fleet(int n) {
    this.n = n;
    this.decidedAt = new AtomicLongArray(n + 1);
    this.formedAt = new long[n + 1];
  }

  /** Starts agents 1..n at one instant and plays their nodes until all formed or {@code bound}. */
  static Fleet boot(int n, IntFunction<String> config, Duration bound) throws InterruptedException {
    Fleet f = new Fleet(n);
    f.result = f.run(config, bound);
    return f;
  }

  Result result() {
    return result;
  }

  private Result run(IntFunction<String> config, Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    ExecutorService starters = Executors.newFixedThreadPool(n);
    CountDownLatch gate = new CountDownLatch(1);
    List<AgentConfig> configs = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      configs.add(AgentConfig.fromText("node" + i + ".conf", config.apply(i), Map.of()));
    }
    for (int i = 1; i <= n; i++) {
      int node = i;
      AgentConfig c = configs.get(i - 1);
      starts.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  gate.await();
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
                Agent a = Agent.start(c);
                a.engine()
                    .decision()
                    .whenComplete(
                        (d, e) -> {
                          decidedAt.compareAndSet(node, 0, System.nanoTime());
                          changed.release();
                        });
                return a;
              },
              starters));
    }
    double cpu0 = jvmCpuMs();
    double etcd0 = Etcd.cpu().toNanos() / 1e6;
    t0 = System.nanoTime();
    gate.countDown();
    String failure = null;
    Agent[] byNode = new Agent[n + 1];
    for (int i = 1; i <= n; i++) {
      try {
        byNode[i] =
            starts.get(i - 1).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        failure = "agent " + i + " did not start: " + e;
      }
    }
    starters.shutdown();
    for (int i = 1; i <= n; i++) {
      if (byNode[i] != null) {
        agents.add(byNode[i]);
      }
    }
    int seeds = 0;
    while (System.nanoTime() < deadline) {
      seeds = Math.max(seeds, play(byNode));
      if (count(formedAt) == started(byNode)) {
        break;
      }
      // Woken by each decision; the timed wait also lets a joiner's seed-formed check run again.
      changed.tryAcquire(20, TimeUnit.MILLISECONDS);
    }
    double cpu = jvmCpuMs() - cpu0;
    double etcd = Etcd.cpu().toNanos() / 1e6 - etcd0;
    long[] decidedTimes = new long[n + 1];
    for (int i = 1; i <= n; i++) {
      decidedTimes[i] = decidedAt.get(i);
    }
    int decided = count(decidedTimes);
    int formed = count(formedAt);
    return new Result(
        n,
        started(byNode),
        decided,
        formed,
        seeds,
        decided == n ? latest(decidedTimes) : -1,
        formed == n ? latest(formedAt) : -1,
        cpu,
        etcd,
        failure);
  }

  /** One round of the nodes' part; returns how many live agents hold a seed decision. */
  private int play(Agent[] byNode) {
    int seeds = 0;
    for (int i = 1; i <= n; i++) {
      Agent a = byNode[i];
      if (a == null) {
        continue;
      }
      Decision d = a.local().decision();
      if (d instanceof Decision.Seed) {
        seeds++;
      }
      if (d != null) {
        // The decision is set before its future completes: whichever is seen first counts.
        decidedAt.compareAndSet(i, 0, System.nanoTime());
      }
      if (formedAt[i] != 0 || d == null) {
        continue;
      }
      if (d instanceof Decision.Seed || anyFormed(byNode, d.peers())) {
        try {
          a.engine().complete();
          formedAt[i] = System.nanoTime();
        } catch (RuntimeException e) {
          // not completable yet (e.g. the decision moved on): the next round sees it
        }
      }
    }
    return seeds;
  }

  private boolean anyFormed(Agent[] byNode, List<NodeName> peers) {
    for (int i = 1; i <= n; i++) {
      Agent a = byNode[i];
      if (a != null
          && formedAt[i] != 0
          && peers.contains(a.node())
          && a.local().state() == NodeState.FORMED) {
        return true;
      }
    }
    return false;
  }

  private int started(Agent[] byNode) {
    int s = 0;
    for (int i = 1; i <= n; i++) {
      s += byNode[i] == null ? 0 : 1;
    }
    return s;
  }

  private static int count(long[] at) {
    int c = 0;
    for (int i = 1; i < at.length; i++) {
      c += at[i] == 0 ? 0 : 1;
    }
    return c;
  }

  private double latest(long[] at) {
    long max = 0;
    for (int i = 1; i < at.length; i++) {
      max = Math.max(max, at[i] - t0);
    }
    return max / 1e6;
  }

  /** The agents that started within the bound, in node order. */
  List<Agent> agents() {
    return List.copyOf(agents);
  }

  static double jvmCpuMs() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime() / 1e6;
    }
    return Double.NaN;
  }

  /** Stops every agent, in parallel (each unregisters from its backend). */
  @Override
  public void close() {
    List<Agent> all = new ArrayList<>();
    for (CompletableFuture<Agent> s : starts) {
      try {
        all.add(s.get(30, TimeUnit.SECONDS)); // one that started after its run's bound, too
      } catch (Exception e) {
        // never started: nothing to stop
      }
    }
    if (all.isEmpty()) {
      return;
    }
    ExecutorService stoppers = Executors.newFixedThreadPool(all.size());
    try {
      CompletableFuture.allOf(
              all.stream()
                  .map(a -> CompletableFuture.runAsync(a::close, stoppers))
                  .toArray(CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("[bench] agents did not all stop within 60 s: " + e);
    } finally {
      stoppers.shutdownNow();
    }
  }
}
