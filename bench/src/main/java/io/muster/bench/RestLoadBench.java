package io.muster.bench;

import io.muster.backend.consul.ConsulEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark "rest-load": requests each agent sends its backend at rest, counted by the backend
 * itself over a window after formation settled: etcd's own Prometheus counters ({@code
 * grpc_server_msg_received_total}: every unary call and every message on a stream, so each lease
 * keepalive counts), and the Consul emulator's per-endpoint counter.
 */
final class RestLoadBench {

  private RestLoadBench() {}

  static boolean run(Options o) throws Exception {
    List<String> backends = o.words("backends", "etcd,consul", Set.of("etcd", "consul"));
    List<Integer> sizes = o.integers("sizes", "1,10,50");
    Duration window = o.duration("window", "60s");
    Duration settle = o.duration("settle", "10s");
    Duration bound = o.duration("timeout", "120s");
    Table table =
        new Table(
            "Backend requests at rest (" + o.describe() + ")",
            "backend",
            "agents",
            "window s",
            "method",
            "requests",
            "per node per minute");
    Path dir = Files.createTempDirectory("muster-bench-rest");
    try (Etcd etcd = backends.contains("etcd") ? Etcd.start() : null) {
      for (int n : sizes) {
        // Both backends' fleets rest in the same window: the counts are timer-driven, not
        // CPU-bound.
        try (ConsulEmulator consul =
                backends.contains("consul") ? new ConsulEmulator(null).start() : null;
            Fleet onEtcd =
                etcd == null
                    ? null
                    : Fleet.boot(
                        n,
                        i -> Configs.etcd(etcd.endpoint(), "rest-" + n, dir.resolve("e" + n), i),
                        bound);
            Fleet onConsul =
                consul == null
                    ? null
                    : Fleet.boot(
                        n,
                        i ->
                            Configs.consul(
                                consul.address(), dir.resolve("c" + n), "rabbit@node" + i, i),
                        bound)) {
          if (onEtcd != null) {
            System.out.printf(
                "[rest-load] etcd, %d agents: %s%n",
                n, FormationBench.describe(onEtcd.result(), true));
          }
          if (onConsul != null) {
            System.out.printf(
                "[rest-load] consul, %d agents: %s%n",
                n, FormationBench.describe(onConsul.result(), false));
          }
          TimeUnit.MILLISECONDS.sleep(settle.toMillis()); // settling is part of the scenario
          Map<String, Long> etcd0 = etcd == null ? Map.of() : etcdCounts(etcd);
          Map<String, Long> consul0 = consul == null ? Map.of() : consul.requestsByEndpoint();
          System.out.printf("[rest-load] %d agents: counting for %d s%n", n, window.toSeconds());
          TimeUnit.MILLISECONDS.sleep(window.toMillis()); // the measured window is the scenario
          if (etcd != null) {
            rows(table, "etcd", n, window, delta(etcd0, etcdCounts(etcd)), onEtcd.result());
          }
          if (consul != null) {
            rows(
                table,
                "consul",
                n,
                window,
                delta(consul0, consul.requestsByEndpoint()),
                onConsul.result());
          }
        }
      }
    }
    table.note(
        "Product defaults: etcd node_ttl 30s (lease keepalive every 10 s), Consul svc_ttl 30s (TTL"
            + " check passed every 15 s, blocking health queries with wait 5m). Measured after"
            + " formation completed and --settle passed.");
    table.note(
        "etcd: grpc_server_msg_received_total by Service/Method (a stream's messages each"
            + " count: LeaseKeepAlive = one per keepalive). Consul: requests by endpoint at the"
            + " emulator; (blocking) = a blocking query, counted once when it was asked.");
    table.print(System.out);
    return true;
  }

  private static Map<String, Long> etcdCounts(Etcd etcd) throws Exception {
    return etcd.grpcCounter("grpc_server_msg_received_total");
  }

  private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> d = new TreeMap<>();
    after.forEach(
        (k, v) -> {
          long x = v - before.getOrDefault(k, 0L);
          if (x != 0) {
            d.put(k, x);
          }
        });
    return d;
  }

  private static void rows(
      Table t, String backend, int n, Duration window, Map<String, Long> d, Fleet.Result formed) {
    double minutes = window.toMillis() / 60_000.0;
    long total = d.values().stream().mapToLong(Long::longValue).sum();
    String agents =
        formed.finished() ? Integer.toString(n) : n + " (" + formed.formed() + " formed)";
    t.row(
        backend,
        agents,
        window.toSeconds(),
        "TOTAL",
        total,
        String.format("%.2f", total / (double) n / minutes));
    d.forEach(
        (method, count) ->
            t.row("", "", "", method, count, String.format("%.2f", count / (double) n / minutes)));
  }
}
