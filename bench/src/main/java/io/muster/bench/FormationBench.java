package io.muster.bench;

import io.muster.testing.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Benchmark "formation": N agents started at one instant, on real etcd and on classic_config; time
 * until every agent has a decision and until every node completed (seeds at once, joiners once
 * their seed formed), median and max over repeated runs, with the seeds counted in each run.
 */
final class FormationBench {

  private FormationBench() {}

  static boolean run(Options o) throws Exception {
    List<String> backends =
        o.words("backends", "etcd,classic_config", Set.of("etcd", "classic_config", "clusterer"));
    List<Integer> sizes = o.integers("sizes", "3,10,25,50");
    int runs = o.integer("runs", 5);
    int warmup = o.integer("warmup", 1);
    Duration bound = o.duration("timeout", "120s");
    if (sizes.stream().anyMatch(n -> n > 250)) {
      throw new IllegalArgumentException(
          "--sizes: classic_config and clusterer agents live on 127.0.0.1..250");
    }
    Path dir = Files.createTempDirectory("muster-bench-formation");
    Table table =
        new Table(
            "Formation: N agents started at one instant (" + o.describe() + ")",
            "backend",
            "agents",
            "finished",
            "all decided median s",
            "max s",
            "all formed median s",
            "max s",
            "seeds per run",
            "JVM CPU median s",
            "etcd CPU median s");
    boolean oneSeedEach = true;
    try (Etcd etcd = backends.contains("etcd") ? Etcd.start() : null) {
      int serial = 0;
      for (String backend : backends) {
        for (int w = 1; w <= warmup; w++) {
          Path d = dir.resolve("warmup-" + backend + "-" + w);
          Fleet.Result r = once(backend, 3, etcd, "warmup-" + w, d, bound);
          System.out.printf(
              "[formation] %s warm-up with 3 agents: %s%n",
              backend, describe(r, "etcd".equals(backend)));
        }
        for (int n : sizes) {
          List<Fleet.Result> results = new ArrayList<>();
          for (int run = 1; run <= runs; run++) {
            serial++;
            Path d = dir.resolve(backend + "-" + n + "-" + run);
            Fleet.Result r = once(backend, n, etcd, "bench-" + serial, d, bound);
            results.add(r);
            System.out.printf(
                "[formation] %s %d agents, run %d/%d: %s%n",
                backend, n, run, runs, describe(r, "etcd".equals(backend)));
            if (r.seeds() > 1 || r.finished() && r.seeds() != 1) {
              oneSeedEach = false;
            }
          }
          List<Fleet.Result> done = results.stream().filter(Fleet.Result::finished).toList();
          Stats decided = new Stats(done.stream().map(Fleet.Result::allDecidedMs).toList());
          Stats formed = new Stats(done.stream().map(Fleet.Result::allFormedMs).toList());
          Stats cpu = new Stats(done.stream().map(Fleet.Result::jvmCpuMs).toList());
          Stats etcdCpu = new Stats(done.stream().map(Fleet.Result::etcdCpuMs).toList());
          table.row(
              backend,
              n,
              done.size() + "/" + runs,
              Stats.sec(decided.median()),
              Stats.sec(decided.max()),
              Stats.sec(formed.median()),
              Stats.sec(formed.max()),
              String.join(",", results.stream().map(r -> Integer.toString(r.seeds())).toList()),
              Stats.sec(cpu.median()),
              "etcd".equals(backend) ? Stats.sec(etcdCpu.median()) : "-");
          for (int i = 0; i < results.size(); i++) {
            Fleet.Result r = results.get(i);
            if (!r.finished()) {
              table.note(
                  String.format(
                      "%s %d agents run %d did NOT finish within %d s: %s",
                      backend, n, i + 1, bound.toSeconds(), describe(r, "etcd".equals(backend))));
            }
          }
        }
      }
    }
    table.note(
        "Times from the start instant (all agents released by one barrier) until the last agent"
            + " decided / the last node completed. Medians and max over finished runs only.");
    table.note(
        "One JVM holds every agent (each with its own Vert.x); JVM CPU = this JVM's CPU time"
            + " over the run (agent start-up included); etcd CPU = the member's, over the run.");
    if (backends.contains("clusterer")) {
      table.note(
          "clusterer: declarative mode, a version-1 config listing every node, gospel"
              + " rabbit@127.0.0.1; agents on 127.0.0.1..N, asking each other on one peer port.");
    }
    if (backends.contains("classic_config")) {
      table.note(
          "classic_config: every node listed, agents on 127.0.0.1..N, contact points on one"
              + " peer port; product defaults (stable_margin 1s, discovery_retry_interval 500ms).");
    }
    table.print(System.out);
    if (!oneSeedEach) {
      System.out.println("  !! A run did not have exactly one seed: formation invariant broken.");
    }
    return oneSeedEach;
  }

  private static Fleet.Result once(
      String backend, int n, Etcd etcd, String clusterName, Path dir, Duration bound)
      throws Exception {
    IntFunction<String> config;
    if ("etcd".equals(backend)) {
      config = i -> Configs.etcd(etcd.endpoint(), clusterName, dir, i);
    } else if ("clusterer".equals(backend)) {
      int peerPort = Ports.freeOnLoopbacks(n);
      config = i -> Configs.clusterer(n, peerPort, dir, i);
    } else {
      int peerPort = Ports.freeOnLoopbacks(n);
      config = i -> Configs.classic(n, peerPort, dir, i);
    }
    try (Fleet f = Fleet.boot(n, config, bound)) {
      return f.result();
    }
  }

  static String describe(Fleet.Result r, boolean etcd) {
    String s =
        r.finished()
            ? String.format(
                "all decided %.2f s, all formed %.2f s, seeds %d",
                r.allDecidedMs() / 1000, r.allFormedMs() / 1000, r.seeds())
            : String.format(
                "NOT FINISHED: %d/%d started, %d decided, %d formed, seeds %d",
                r.started(), r.agents(), r.decided(), r.formed(), r.seeds());
    s += String.format(", JVM CPU %.2f s", r.jvmCpuMs() / 1000);
    if (etcd) {
      s += String.format(", etcd CPU %.2f s", r.etcdCpuMs() / 1000);
    }
    return r.failure() == null ? s : s + " (" + r.failure() + ")";
  }
}
