package io.muster.bench;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.backend.consul.ConsulEmulator;
import io.muster.spi.Backend;
import io.muster.spi.Registration;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * Benchmark "propagation": one formed agent, and a client blocked on its {@code GET
 * /v1/peers?index=N&wait=30s}; another node registers through the backend's own registration path
 * (a fresh backend instance per change: etcd lease grant and put, or Consul service registration
 * with a passing TTL check) and the time until the blocked client sees the new name is measured;
 * then the node unregisters and the time until it is gone is measured the same way.
 */
final class PropagationBench {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private record Seen(JsonObject body, long at) {}

  private PropagationBench() {}

  static boolean run(Options o) throws Exception {
    List<String> backends = o.words("backends", "etcd,consul", Set.of("etcd", "consul"));
    int changes = o.integer("changes", 200);
    int warmup = o.integer("warmup", 10);
    Duration bound = o.duration("timeout", "60s");
    Table table =
        new Table(
            "Change propagation to a client blocked on GET /v1/peers?index=N&wait=30s ("
                + o.describe()
                + ")",
            "backend",
            "changes",
            "register call p50 ms",
            "added seen p50 ms",
            "p99 ms",
            "max ms",
            "removed seen p50 ms",
            "p99 ms",
            "max ms",
            "missed");
    Path dir = Files.createTempDirectory("muster-bench-propagation");
    for (String backend : backends) {
      try (Etcd etcd = "etcd".equals(backend) ? Etcd.start() : null;
          ConsulEmulator consul =
              "consul".equals(backend) ? new ConsulEmulator(null).start() : null) {
        IntFunction<String> config =
            "etcd".equals(backend)
                ? i -> Configs.etcd(etcd.endpoint(), "propagation", dir.resolve(backend), i)
                : i -> Configs.consul(consul.address(), dir.resolve(backend), "rabbit@node" + i, i);
        try (Fleet observer = Fleet.boot(1, config, bound)) {
          if (!observer.result().finished()) {
            throw new IllegalStateException(
                backend + ": the observing agent did not form: " + observer.result());
          }
          Agent agent = observer.agents().get(0);
          List<Double> call = new ArrayList<>();
          List<Double> added = new ArrayList<>();
          List<Double> removed = new ArrayList<>();
          int missed = 0;
          Vertx vertx = Vertx.vertx();
          try {
            for (int k = 1; k <= warmup + changes; k++) {
              double[] r = change(agent.apiPort(), vertx, config, 1000 + k, bound);
              if (k <= warmup) {
                continue;
              }
              if (r == null) {
                missed++;
                continue;
              }
              call.add(r[0]);
              added.add(r[1]);
              removed.add(r[2]);
            }
          } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
          }
          Stats c = new Stats(call);
          Stats a = new Stats(added);
          Stats d = new Stats(removed);
          table.row(
              backend,
              added.size(),
              Stats.ms(c.median()),
              Stats.ms(a.median()),
              Stats.ms(a.percentile(99)),
              Stats.ms(a.max()),
              Stats.ms(d.median()),
              Stats.ms(d.percentile(99)),
              Stats.ms(d.max()),
              missed);
          System.out.printf(
              "[propagation] %s: %d changes, added seen p50 %.1f ms, removed seen p50 %.1f ms%n",
              backend, added.size(), a.median(), d.median());
        }
      }
    }
    table.note(
        "Times from the start of the registering backend's register() (resp. unregister()) call"
            + " to the blocked client's answer naming (resp. no longer naming) the node; the first"
            + " --warmup changes are not counted. missed = changes not seen within --timeout.");
    table.note(
        "etcd: one real member; the agent follows the nodes/ prefix with a watch. Consul: the"
            + " emulator (ConsulEmulator, backends/consul test-jar); the agent follows with blocking health queries.");
    table.print(System.out);
    return true;
  }

  /**
   * One node registers and unregisters; returns {register call ms, added seen ms, removed seen ms},
   * or null when a change was not seen within {@code bound}.
   */
  private static double[] change(
      int port, Vertx vertx, IntFunction<String> config, int node, Duration bound)
      throws Exception {
    AgentConfig c = AgentConfig.fromText("change" + node + ".conf", config.apply(node), Map.of());
    String name = c.core().nodeName().toString();
    Backend backend = c.createBackend(vertx);
    try {
      Registration reg = (Registration) backend;
      long index = peers(port, 0).get(10, TimeUnit.SECONDS).body().getLong("index");
      CompletableFuture<Seen> blocked = peers(port, index);
      long t0 = System.nanoTime();
      reg.register().toCompletableFuture().get(bound.toSeconds(), TimeUnit.SECONDS);
      long t1 = System.nanoTime();
      Seen in = until(port, blocked, p -> p.contains(name), t0 + bound.toNanos());
      if (in == null) {
        reg.unregister().toCompletableFuture().get(bound.toSeconds(), TimeUnit.SECONDS);
        return null;
      }
      CompletableFuture<Seen> blocked2 = peers(port, in.body().getLong("index"));
      long t2 = System.nanoTime();
      reg.unregister().toCompletableFuture().get(bound.toSeconds(), TimeUnit.SECONDS);
      Seen out = until(port, blocked2, p -> !p.contains(name), t2 + bound.toNanos());
      if (out == null) {
        return null;
      }
      return new double[] {(t1 - t0) / 1e6, (in.at() - t0) / 1e6, (out.at() - t2) / 1e6};
    } finally {
      backend.close();
    }
  }

  /** Follows blocking answers until {@code wanted} holds of the peer names; null at deadline. */
  private static Seen until(
      int port, CompletableFuture<Seen> blocked, Predicate<List<Object>> wanted, long deadline)
      throws Exception {
    CompletableFuture<Seen> next = blocked;
    while (System.nanoTime() < deadline) {
      Seen s = next.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (wanted.test(s.body().getJsonArray("peers").getList())) {
        return s;
      }
      next = peers(port, s.body().getLong("index"));
    }
    return null;
  }

  /** {@code GET /v1/peers}, blocking when {@code index > 0}; stamped when the answer arrived. */
  private static CompletableFuture<Seen> peers(int port, long index) {
    String q = index > 0 ? "?index=" + index + "&wait=30s" : "";
    return HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/peers" + q))
                .timeout(Duration.ofSeconds(40))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> new Seen(new JsonObject(r.body()), System.nanoTime()));
  }
}
