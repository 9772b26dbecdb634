package io.muster.bench;

import java.util.List;
import java.util.Set;

/**
 * Entry point of {@code bench/run NAME [--option value ...]}: runs one benchmark and prints its
 * table. Benchmarks never fail on timing; the exit code is 1 only when a run broke a formation
 * invariant (not exactly one seed), 2 on a usage error.
 */
public final class Bench {

  private static final String USAGE =
      """
      usage: bench/run NAME [--option value ...]
        formation    N agents at one instant, on real etcd, classic_config or clusterer
                     (declarative): time to all decided and all formed, median and max over
                     runs; one seed per run checked
                     --backends etcd,classic_config  --sizes 3,10,25,50  --runs 5  --warmup 1
                     --timeout 120s (bound on one run; an unfinished run is reported as such)
        propagation  a client blocked on GET /v1/peers?index=N&wait=30s; time until it sees a node
                     that registered (and one that unregistered); p50, p99, max
                     --backends etcd,consul  --changes 200  --warmup 10  --timeout 60s
        rest-load    requests per node per minute at rest, counted by etcd (/metrics) and by the
                     Consul emulator, by method
                     --backends etcd,consul  --sizes 1,10,50  --window 60s  --settle 10s
                     --timeout 120s
      """;

  private Bench() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    boolean ok;
    try {
      Options o = new Options(List.of(args).subList(1, args.length));
      ok =
          switch (args[0]) {
            case "formation" -> {
              o.checkKnown(Set.of("backends", "sizes", "runs", "warmup", "timeout"));
              yield FormationBench.run(o);
            }
            case "propagation" -> {
              o.checkKnown(Set.of("backends", "changes", "warmup", "timeout"));
              yield PropagationBench.run(o);
            }
            case "rest-load" -> {
              o.checkKnown(Set.of("backends", "sizes", "window", "settle", "timeout"));
              yield RestLoadBench.run(o);
            }
            default -> throw new IllegalArgumentException("unknown benchmark " + args[0]);
          };
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    System.exit(ok ? 0 : 1);
  }
}
