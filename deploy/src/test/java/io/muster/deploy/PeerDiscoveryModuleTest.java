package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.muster.process.Commands;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RabbitMQ's muster_peer_discovery module (deploy/rabbitmq) in a plain Erlang VM, its callbacks
 * called as RabbitMQ 3.10's peer discovery calls them, against a local HTTP server standing in for
 * the agent's loopback API (the real endpoints are tested in the agent's StartGateIT and, with a
 * real broker, in RabbitFormationIT). Also the wrapper's compile step. Skipped without erlc.
 */
class PeerDiscoveryModuleTest {

  private static final Path SOURCE = Path.of("rabbitmq/muster_peer_discovery.erl").toAbsolutePath();

  @TempDir Path dir;
  private HttpServer api;
  private final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();
  private final List<Integer> seedAnswers = new ArrayList<>();
  private final AtomicInteger seedAsked = new AtomicInteger();
  private Path ebin;

  @BeforeEach
  void setUp() throws IOException, InterruptedException {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/erlc")), "erlc is not installed");
    ebin = dir.resolve("ebin");
    Files.createDirectories(ebin);
    Commands.Result c =
        Commands.run(
            List.of("erlc", "+warnings_as_errors", "-o", ebin.toString(), SOURCE.toString()),
            Map.of(),
            Duration.ofSeconds(60));
    assertThat(c.ok()).as(c.output()).isTrue();
    api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    api.createContext("/", this::answer);
    api.start();
  }

  @AfterEach
  void tearDown() {
    if (api != null) {
      api.stop(0);
    }
  }

  private void answer(HttpExchange x) throws IOException {
    String auth = x.getRequestHeaders().getFirst("Authorization");
    requests.add(x.getRequestMethod() + " " + x.getRequestURI() + (auth == null ? "" : " " + auth));
    int status;
    String body;
    if (x.getRequestURI().getPath().equals("/v1/formation/seed")) {
      int n = seedAsked.getAndIncrement();
      status =
          n < seedAnswers.size() ? seedAnswers.get(n) : seedAnswers.get(seedAnswers.size() - 1);
      body =
          status == 200
              ? "{\"formed\":true}"
              : "{\"status\":" + status + ",\"detail\":\"waiting for seed rabbit@a to form\"}";
    } else {
      status = 200;
      body = "{}";
    }
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, b.length);
    x.getResponseBody().write(b);
    x.close();
  }

  /** Runs {@code expr} (Erlang) with the module loaded and the decision in the environment. */
  private String erl(Map<String, String> decision, String expr) {
    Map<String, String> env = new HashMap<>(decision);
    env.put("HOME", dir.toString());
    Commands.Result r =
        Commands.run(
            List.of(
                "erl",
                "-noshell",
                "-pa",
                ebin.toString(),
                "-eval",
                "io:format(\"RESULT ~0p~n\", [" + expr + "]), halt()."),
            env,
            Duration.ofSeconds(60));
    String line =
        r.output()
            .lines()
            .filter(l -> l.startsWith("RESULT "))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no result: " + r.output()));
    return line.substring(7);
  }

  private Map<String, String> decision(String action, String seed) {
    Map<String, String> env = new HashMap<>();
    env.put("MUSTER_ACTION", action);
    env.put("MUSTER_SEED", seed);
    env.put("MUSTER_API", "http://127.0.0.1:" + api.getAddress().getPort());
    return env;
  }

  @Test
  void aSeedGoesOnAtOnceAndListsNoPeer() {
    seedAnswers.add(503);
    assertThat(
            erl(
                decision("seed", "rabbit@a"),
                "{muster_peer_discovery:lock(node()), muster_peer_discovery:list_nodes()}"))
        .isEqualTo("{{ok,seed},{ok,{[],disc}}}");
    assertThat(requests).as("a seed asks nothing").isEmpty();
  }

  @Test
  void aJoinerWaitsInTheLockUntilItsSeedFormedThenListsOnlyTheSeed() {
    seedAnswers.addAll(List.of(503, 503, 200));
    assertThat(
            erl(
                decision("join", "rabbit@a"),
                "{muster_peer_discovery:lock(node()), muster_peer_discovery:list_nodes()}"))
        .isEqualTo("{{ok,{join,rabbit@a}},{ok,{[rabbit@a],disc}}}");
    assertThat(seedAsked.get()).isEqualTo(3);
    assertThat(requests).allMatch(r -> r.equals("GET /v1/formation/seed"));
  }

  @Test
  void aBackendThatCannotSeeTheSeedFailsTheLock() {
    seedAnswers.add(409);
    assertThat(erl(decision("join", "rabbit@a"), "muster_peer_discovery:lock(node())"))
        .startsWith("{error,\"Muster answered 409:");
  }

  @Test
  void withoutMusterExecOrWithAForgedSeedTheLockFailsAndNothingIsAsked() {
    assertThat(erl(Map.of(), "muster_peer_discovery:lock(node())"))
        .isEqualTo("{error,\"MUSTER_ACTION is not set: start the node with muster exec\"}");
    assertThat(erl(decision("join", "rabbit@a; rm -rf /"), "muster_peer_discovery:lock(node())"))
        .isEqualTo("{error,\"MUSTER_SEED is not a node name: rabbit@a; rm -rf /\"}");
    assertThat(erl(decision("leave", "rabbit@a"), "muster_peer_discovery:list_nodes()"))
        .isEqualTo("{error,\"MUSTER_ACTION is leave, not seed, join or rejoin\"}");
    assertThat(requests).isEmpty();
  }

  @Test
  void aSeedReportsItselfFormedOnlyOnceItsDatabaseIsUpWithTheToken() throws IOException {
    Path token = dir.resolve("token");
    Files.writeString(token, "s3cret-token-value\n");
    Map<String, String> env = decision("seed", "rabbit@a");
    env.put("MUSTER_API_TOKEN_FILE", token.toString());
    assertThat(erl(env, "muster_peer_discovery:register()")).isEqualTo("ok");
    assertThat(requests).as("no database: nothing reported").isEmpty();

    // a local rabbit_user table stands in for a database RabbitMQ has created
    String up =
        "begin ok = mnesia:start(), {atomic, ok} = mnesia:create_table(rabbit_user, []),"
            + " muster_peer_discovery:register() end";
    assertThat(erl(env, up)).isEqualTo("ok");
    assertThat(requests).containsExactly("POST /v1/formation/complete Bearer s3cret-token-value");

    requests.clear();
    assertThat(erl(decision("join", "rabbit@a"), up)).isEqualTo("ok");
    assertThat(requests).as("a joiner's completion is Muster's, with evidence").isEmpty();
  }

  /** Without a shipped ebin/, the wrapper compiles the module once into the data directory. */
  @Test
  void wrapperCompilesTheModuleIntoTheDataDirAndPutsItOnTheCodePath() throws IOException {
    Path confd = Files.createDirectories(dir.resolve("conf.d"));
    Files.writeString(confd.resolve("90-muster.conf"), "");
    Path fake = dir.resolve("fake-rabbitmq-server");
    Files.writeString(fake, "#!/bin/sh\necho \"ARGS=$RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS\"\n");
    fake.toFile().setExecutable(true);
    Map<String, String> env = decision("seed", "rabbit@a");
    env.put("RABBITMQ_CONFIG_FILES", confd.toString());
    env.put("RABBITMQ_SERVER", fake.toString());
    env.put("MUSTER_DATA_DIR", dir.resolve("data").toString());
    env.put("MUSTER_PEER_DISCOVERY_EBIN", dir.resolve("none").toString());
    env.put("PATH", System.getenv("PATH"));
    Commands.Result r =
        Commands.run(List.of(RabbitHost.WRAPPER.toString()), env, Duration.ofSeconds(60));
    assertThat(r.ok()).as(r.output()).isTrue();
    Path compiled = dir.resolve("data/erlang");
    assertThat(compiled.resolve("muster_peer_discovery.beam")).exists();
    assertThat(r.output()).contains("ARGS= -pa " + compiled);

    Files.delete(confd.resolve("90-muster.conf"));
    Commands.Result missing =
        Commands.run(List.of(RabbitHost.WRAPPER.toString()), env, Duration.ofSeconds(60));
    assertThat(missing.exit()).isEqualTo(78);
    assertThat(missing.output()).contains("90-muster.conf is missing");
  }
}
