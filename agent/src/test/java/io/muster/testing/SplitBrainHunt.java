package io.muster.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.formation.NodeState;
import io.muster.spi.NodeName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The split-brain hunt: randomized trials, each a fresh cluster name, of 3 to 7 agents booted at
 * one instant plus random jitter (0-500 ms); in some trials a real {@code kill -9} of the seed's
 * process before its node completes, or (lock backends) of the process holding the formation lock.
 * The test plays every node: a seed completes at once, a joiner completes once its seed has, and a
 * node whose seed was killed aborts its decision (as a node that cannot reach it would). After
 * every trial: one seed and one cluster id among the survivors, all formed, and at no moment two
 * live agents told to seed. Prints the trial count and the seeds seen.
 */
public final class SplitBrainHunt {

  /** What a trial does to one agent before formation completes. */
  public enum Fault {
    NONE,
    KILL_SEED,
    KILL_LOCK_HOLDER
  }

  /**
   * Agents 1..7 of {@code clusterName} (a name no other trial uses), their files in {@code dir}.
   */
  @FunctionalInterface
  public interface AgentsFor {
    TestAgents agents(Path dir, String clusterName, int n);
  }

  /**
   * The backend under test: its agents; whether it decides under a lock (etcd, Consul) or by
   * contact points; how long a killed process's registration and lock outlive it (its TTL).
   */
  public record Subject(AgentsFor agentsFor, boolean locks, Duration leaseTtl) {
    TestAgents agents(Path dir, String clusterName, int n) {
      return agentsFor.agents(dir, clusterName, n);
    }
  }

  private record Outcome(
      int trial, int agents, int jitterMs, Fault fault, Set<String> seedsSeen, long ms) {}

  private final Subject subject;
  private final Path dir;
  private final String label;

  public SplitBrainHunt(Subject subject, Path dir, String label) {
    this.subject = subject;
    this.dir = dir;
    this.label = label;
  }

  /**
   * Runs {@code trials} trials one after another ({@code -Dmuster.hunt.trials} overrides; {@code
   * -Dmuster.hunt.seed} repeats a run's random choices) and fails on the first violated invariant.
   */
  public void run(int trials) throws Exception {
    run(trials, 1);
  }

  /**
   * As {@link #run(int)}, with up to {@code parallel} trials at once. Trials never share a cluster
   * name, so they cannot see each other; running several at once lets a backend whose faults heal
   * only after a long TTL (Consul sessions: at least 10 s) overlap those waits. The seed repeats
   * every trial's choices (agents, jitter, fault, the fault's moment), not the interleaving.
   */
  public void run(int trials, int parallel) throws Exception {
    int count = Integer.getInteger("muster.hunt.trials", trials);
    long seed = Long.getLong("muster.hunt.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    System.out.printf(
        "[hunt] %s: %d trials%s, random seed %d%n",
        label, count, parallel > 1 ? " (" + parallel + " at a time)" : "", seed);
    List<Outcome> outcomes = new ArrayList<>();
    if (parallel <= 1) {
      for (int t = 1; t <= count; t++) {
        outcomes.add(trial(t, spec(random), random, seed));
      }
    } else {
      ExecutorService pool = Executors.newFixedThreadPool(parallel);
      try {
        CompletionService<Outcome> done = new ExecutorCompletionService<>(pool);
        for (int t = 1; t <= count; t++) {
          int trial = t;
          Spec spec = spec(random);
          SplittableRandom own = random.split();
          done.submit(() -> trial(trial, spec, own, seed));
        }
        for (int t = 1; t <= count; t++) {
          try {
            outcomes.add(done.take().get());
          } catch (ExecutionException e) {
            throw e.getCause() instanceof Error err ? err : new AssertionError(e.getCause());
          }
        }
      } finally {
        pool.shutdownNow();
        pool.awaitTermination(2, TimeUnit.MINUTES);
      }
    }
    report(outcomes);
  }

  private record Spec(int agents, int jitterMs, Fault fault) {}

  private Spec spec(SplittableRandom random) {
    int n = 3 + random.nextInt(5);
    int jitter = random.nextInt(501);
    double dice = random.nextDouble();
    Fault fault =
        dice < 0.1
            ? Fault.KILL_SEED
            : subject.locks() && dice < 0.2 ? Fault.KILL_LOCK_HOLDER : Fault.NONE;
    return new Spec(n, jitter, fault);
  }

  private Outcome trial(int t, Spec spec, SplittableRandom random, long seed) {
    long t0 = System.nanoTime();
    Set<String> seeds;
    try (TestAgents agents = subject.agents(dir.resolve("t" + t), "hunt-" + t, spec.agents())) {
      seeds = trial(agents, spec.agents(), spec.jitterMs(), spec.fault(), random);
    } catch (Throwable e) {
      throw new AssertionError(
          String.format(
              "%s trial %d (%d agents, jitter <= %d ms, %s; -Dmuster.hunt.seed=%d): %s",
              label, t, spec.agents(), spec.jitterMs(), spec.fault(), seed, e.getMessage()),
          e);
    }
    return new Outcome(
        t,
        spec.agents(),
        spec.jitterMs(),
        spec.fault(),
        seeds,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  private Set<String> trial(
      TestAgents agents, int n, int jitter, Fault fault, SplittableRandom random) throws Exception {
    Set<String> seeds = new LinkedHashSet<>();
    List<Agent> live = new ArrayList<>();
    NodeName victim = null;
    Agent restarted = null;
    switch (fault) {
      case NONE -> live.addAll(BootTogether.startAll(agents::start, 1, n, jitter));
      case KILL_LOCK_HOLDER -> {
        Process holder = LockHolders.spawnHolder(agents, 1);
        live.addAll(BootTogether.startAll(agents::start, 2, n, jitter));
        TimeUnit.MILLISECONDS.sleep(random.nextInt(jitter + 300)); // the fault's moment: input
        holder.destroyForcibly();
        holder.waitFor(10, TimeUnit.SECONDS);
      }
      case KILL_SEED -> {
        // Node 1 runs as its own process and is made the seed: under a lock it starts first and
        // the others once it decided; by contact points it has the lowest name.
        Process seedProcess = agents.spawn(1, "io.muster.cli.Main", "run", "--config", "{conf}");
        if (!subject.locks()) {
          live.addAll(BootTogether.startAll(agents::start, 2, n, jitter));
        }
        await("node 1 decides seed")
            .atMost(Timing.scaled(Duration.ofSeconds(60)))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> agents.log(1).contains("Decision: seed"));
        victim = nodeName(agents.config(1));
        seeds.add(victim + " (killed)");
        if (subject.locks()) {
          live.addAll(BootTogether.startAll(agents::start, 2, n, jitter));
        }
        TimeUnit.MILLISECONDS.sleep(random.nextInt(jitter + 300)); // the fault's moment: input
        seedProcess.destroyForcibly();
        seedProcess.waitFor(10, TimeUnit.SECONDS);
        if (!subject.locks()) {
          // A contact-point cluster needs every listed node: node 1 is restarted, as its
          // supervisor would, with no membership record (it never completed).
          restarted = agents.start(1);
          live.add(restarted);
        }
      }
    }
    NodeName dead = victim;
    Agent again = restarted;
    // A decision naming the killed incarnation as seed: its node cannot reach that seed.
    java.util.function.Predicate<Decision> killedSeed =
        d ->
            d.seed().equals(dead)
                && (again == null
                    || again.local().decision() == null
                    || !d.clusterId().equals(again.local().decision().clusterId()));
    try {
      await("every surviving agent formed")
          .atMost(Timing.scaled(Duration.ofSeconds(90).plus(subject.leaseTtl().multipliedBy(3))))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> playNodes(live, killedSeed, seeds));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      StringBuilder b = new StringBuilder("not every agent formed:");
      for (Agent a : live) {
        b.append("\n  ")
            .append(a.node())
            .append(": ")
            .append(a.local().state())
            .append(", decision ")
            .append(a.local().decision())
            .append(", waiting for ")
            .append(a.engine().waitingFor());
      }
      throw new AssertionError(b.toString(), e);
    }
    // One cluster: one seed, one cluster id. (A joiner that decided after the seed formed joins the
    // live members oldest first, so the seed need not head its list.)
    List<Decision> finals = live.stream().map(a -> a.local().decision()).toList();
    List<Decision> seedDecisions = finals.stream().filter(d -> d instanceof Decision.Seed).toList();
    assertThat(seedDecisions).as("seeds among %s", finals).hasSize(1);
    assertThat(finals)
        .as("one cluster")
        .extracting(Decision::clusterId)
        .containsOnly(seedDecisions.get(0).clusterId());
    assertThat(live).allSatisfy(a -> assertThat(a.local().state()).isEqualTo(NodeState.FORMED));
    return seeds;
  }

  /**
   * One round of the nodes' part; true once every agent formed. Asserts the live invariant: at no
   * moment two live agents hold a seed decision.
   */
  private static boolean playNodes(
      List<Agent> live, java.util.function.Predicate<Decision> killedSeed, Set<String> seeds) {
    List<Agent> seeding = new ArrayList<>();
    for (Agent a : live) {
      Decision d = a.local().decision();
      if (d instanceof Decision.Seed) {
        seeding.add(a);
        seeds.add(a.node().toString());
      }
    }
    assertThat(seeding).as("live agents told to seed at one moment").hasSizeLessThanOrEqualTo(1);
    boolean all = true;
    for (Agent a : live) {
      Decision d = a.local().decision();
      if (a.local().state() == NodeState.FORMED) {
        continue;
      }
      all = false;
      if (d == null) {
        continue;
      }
      if (killedSeed.test(d)) {
        try {
          a.engine().abort(); // the node cannot reach its (killed) seed
        } catch (RuntimeException e) {
          // formed meanwhile, or no decision: the next round sees it
        }
      } else if (d instanceof Decision.Seed || anyFormed(live, d.peers())) {
        // A joiner's node joins the first node of its list that is up and clustered.
        a.engine().complete();
      }
    }
    return all;
  }

  private static boolean anyFormed(List<Agent> live, List<NodeName> peers) {
    return live.stream()
        .anyMatch(a -> peers.contains(a.node()) && a.local().state() == NodeState.FORMED);
  }

  private static NodeName nodeName(String config) {
    return config
        .lines()
        .filter(l -> l.startsWith("muster.node_name"))
        .map(l -> NodeName.parse(l.substring(l.indexOf('=') + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no muster.node_name in " + config));
  }

  private void report(List<Outcome> unordered) {
    List<Outcome> outcomes =
        unordered.stream().sorted(Comparator.comparingInt(Outcome::trial)).toList();
    Map<String, int[]> byFault = new TreeMap<>();
    int twoSeeds = 0;
    long maxMs = 0;
    for (Outcome o : outcomes) {
      byFault.computeIfAbsent(o.fault().name(), k -> new int[1])[0]++;
      if (o.seedsSeen().size() > 1) {
        twoSeeds++;
      }
      maxMs = Math.max(maxMs, o.ms());
    }
    List<Long> times = outcomes.stream().map(Outcome::ms).sorted().toList();
    System.out.printf(
        "[hunt] %s: %d trials passed (%s); agents per trial 3-7, jitter 0-500 ms; one live seed"
            + " and one cluster in every trial; trials with a killed seed and a seed after it:"
            + " %d; trial time median %d ms, max %d ms%n",
        label,
        outcomes.size(),
        byFault.entrySet().stream()
            .map(e -> e.getKey().toLowerCase(java.util.Locale.ROOT) + " " + e.getValue()[0])
            .reduce((a, b) -> a + ", " + b)
            .orElse(""),
        twoSeeds,
        times.get(times.size() / 2),
        maxMs);
    for (Outcome o : outcomes) {
      if (o.fault() != Fault.NONE) {
        System.out.printf(
            "[hunt]   trial %d, %s, %d agents, jitter <= %d ms: seeds seen %s%n",
            o.trial(), o.fault(), o.agents(), o.jitterMs(), o.seedsSeen());
      }
    }
  }
}
