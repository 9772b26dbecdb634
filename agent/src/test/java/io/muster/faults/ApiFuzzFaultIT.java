package io.muster.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.testing.AgentApi;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzes every route of the loopback API and the peer port of two real agents on classic_config
 * (one that seeded at once, one that waits for a node that never comes) with generated methods,
 * targets, query strings ({@code index}, {@code wait}), headers and bodies, over a bare socket so
 * that requests no polite client would send get through. Every answer must come within a bound and
 * be a success, or an error whose body is RFC 9457 problem+json with the status it was sent with;
 * none may be a 500; the agents must stay alive. Generated {@code wait} values are small or invalid
 * so blocking calls stay short.
 */
class ApiFuzzFaultIT {

  /** Bound on one exchange: the longest generated wait is 300 ms. */
  private static final Duration BOUND = Duration.ofSeconds(15);

  private static final List<String> ROUTES =
      List.of(
          "/v1/peers",
          "/v1/formation",
          "/v1/formation/complete",
          "/v1/formation/abort",
          "/v1/status",
          "/v1/members",
          "/health/live",
          "/health/ready",
          "/health/started",
          "/metrics",
          "/v1/node");

  private static Path dir;
  private static TestAgents agents;
  private static final List<Integer> ports = new ArrayList<>();
  private static final List<Integer> peerPorts = new ArrayList<>();
  private static int healthPort;
  private static final AtomicInteger exchanges = new AtomicInteger();
  private static long startedAt;

  @BeforeContainer
  static void startAgents() throws IOException {
    dir = Files.createTempDirectory("muster-api-fuzz");
    healthPort = io.muster.testing.Ports.freeOnLoopbacks(1);
    // Node 1 lists only itself and seeds at once; node 2 also lists 127.0.0.3, which never
    // answers, so it stays undecided: both sides of every route get fuzzed.
    agents =
        TestAgents.lockless(
            dir,
            i -> "rabbit@127.0.0." + i,
            "classic_config",
            i ->
                i == 1
                    ? "cluster_formation.classic_config.nodes.1 = rabbit@127.0.0.1\n"
                        + "muster.allow_standalone = true\n"
                        + "muster.health.bind = 127.0.0.1\nmuster.health.port = "
                        + healthPort
                        + "\n"
                    : "cluster_formation.classic_config.nodes.1 = rabbit@127.0.0.2\n"
                        + "cluster_formation.classic_config.nodes.2 = rabbit@127.0.0.3\n");
    for (int i = 1; i <= 2; i++) {
      Agent a = agents.start(i);
      ports.add(a.apiPort());
      peerPorts.add(AgentConfig.fromText("n", agents.config(i), Map.of()).core().peerPort());
    }
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> AgentApi.get(ports.get(0), "/health/ready").contains("\"ready\""));
    startedAt = System.nanoTime();
  }

  @AfterContainer
  static void stopAgents() throws IOException {
    try {
      System.out.printf(
          "[figure] API fuzz: %d exchanges in %.1f s%n",
          exchanges.get(), (System.nanoTime() - startedAt) / 1e9);
      // Still alive and still answering after everything above.
      for (int port : ports) {
        assertThat(AgentApi.get(port, "/health/live")).contains("\"up\"");
        assertThat(AgentApi.status(port).getString("node")).startsWith("rabbit@127.0.0.");
      }
    } finally {
      agents.close();
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** A request as written on the wire, and whether it is well-framed HTTP/1.1. */
  record Request(
      String host,
      int port,
      String method,
      String target,
      List<String> headers,
      byte[] body,
      boolean framed) {
    byte[] bytes() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      head.append("Host: 127.0.0.1\r\n");
      if (framed) {
        head.append("Connection: close\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      headers.forEach(h -> head.append(h).append("\r\n"));
      head.append("\r\n");
      out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
      out.writeBytes(body);
      return out.toByteArray();
    }

    @Override
    public String toString() {
      String b = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
      return method
          + " "
          + abbreviate(target)
          + " -> "
          + host
          + ":"
          + port
          + " "
          + headers.stream().map(ApiFuzzFaultIT::abbreviate).toList()
          + " body("
          + body.length
          + ")="
          + b;
    }
  }

  static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "...(" + s.length() + ")" : s;
  }

  // ---- properties -------------------------------------------------------------------------

  @Property(tries = 1500)
  void everyWellFramedRequestGetsASuccessOrAProblem(@ForAll("framed") Request request) {
    RawHttp.Exchange x = exchange(request, false);
    assertThat(x.timedOut()).as("answered in time: %s", request).isFalse();
    assertThat(x.responses()).as("one response to %s (rest: %s)", request, x.unparsed()).hasSize(1);
    assertWellFormed(request, x.responses().get(0));
  }

  @Property(tries = 300)
  void malformedHttpIsAnsweredWithAProblemOrClosedNeverHung(@ForAll("garbage") Request request) {
    RawHttp.Exchange x = exchange(request, true);
    assertThat(x.timedOut()).as("closed or answered in time: %s", request).isFalse();
    for (RawHttp.Response r : x.responses()) {
      assertWellFormed(request, r);
    }
  }

  /** One exchange, bounded by {@link #BOUND} even if the client itself hangs, and counted. */
  private static RawHttp.Exchange exchange(Request request, boolean halfClose) {
    RawHttp.Exchange x =
        assertTimeoutPreemptively(
            BOUND,
            () -> RawHttp.send(request.host(), request.port(), request.bytes(), halfClose, BOUND));
    exchanges.incrementAndGet();
    return x;
  }

  // ---- regressions found by the fuzzer ----------------------------------------------------

  @Example
  void aWaitTooLargeForJavaIsABadRequest() throws IOException {
    for (String path :
        List.of(
            "/v1/peers?index=1&wait=9223372036854775807m", "/v1/formation?wait=99999999999999h")) {
      String method = path.startsWith("/v1/peers") ? "GET" : "POST";
      RawHttp.Response r =
          only(new Request("127.0.0.1", ports.get(1), method, path, List.of(), new byte[0], true));
      assertThat(r.status()).as(path).isEqualTo(400);
    }
  }

  @Example
  void membersWithTheWrongJsonShapeAreABadRequest() throws IOException {
    for (String body :
        List.of("{\"disk_nodes\": 5}", "{\"ram_nodes\": \"rabbit@a\"}", "{\"disk_nodes\": {}}")) {
      RawHttp.Response r =
          only(
              new Request(
                  "127.0.0.1",
                  ports.get(0),
                  "PUT",
                  "/v1/members",
                  List.of("Content-Type: application/json"),
                  body.getBytes(StandardCharsets.UTF_8),
                  true));
      assertThat(r.status()).as(body).isEqualTo(400);
      assertProblem(r);
    }
  }

  @Example
  void aQueryThatDoesNotDecodeIsABadRequestEvenWithAFormBody() throws IOException {
    // With a form Content-Type, Vert.x's BodyHandler decoded the query itself, outside the route's
    // error handling: the exception was only logged and the request never answered.
    for (String type : List.of("application/x-www-form-urlencoded", "application/json")) {
      RawHttp.Response r =
          only(
              new Request(
                  "127.0.0.1",
                  ports.get(0),
                  "PUT",
                  "/v1/members?x=%ED%",
                  List.of("Content-Type: " + type),
                  new byte[0],
                  true));
      assertThat(r.status()).as(type).isEqualTo(400);
      assertProblem(r);
    }
  }

  @Example
  void anEmptyMembersBodyIsAnEmptyList() throws IOException {
    RawHttp.Response r =
        only(
            new Request(
                "127.0.0.1",
                ports.get(0),
                "PUT",
                "/v1/members?wait=0ms",
                List.of(),
                new byte[0],
                true));
    assertThat(r.status()).as(r.text()).isEqualTo(204);
  }

  @Example
  void aBodyOverTheLimitIsAProblemToo() throws IOException {
    RawHttp.Response r =
        only(
            new Request(
                "127.0.0.1",
                ports.get(0),
                "PUT",
                "/v1/members",
                List.of(),
                new byte[(1 << 20) + 1],
                true));
    assertThat(r.status()).isEqualTo(413);
    assertProblem(r);
  }

  @Example
  void aRequestTheHttpDecoderRefusesIsAProblemToo() throws IOException {
    RawHttp.Response tooLong =
        only(
            new Request(
                "127.0.0.1",
                ports.get(0),
                "GET",
                "/v1/" + "x".repeat(9000),
                List.of(),
                new byte[0],
                true));
    assertThat(tooLong.status()).isEqualTo(414);
    assertProblem(tooLong);
    RawHttp.Response badHeader =
        only(
            new Request(
                "127.0.0.1",
                ports.get(0),
                "GET",
                "/v1/status",
                List.of("no colon here"),
                new byte[0],
                true));
    assertThat(badHeader.status()).isEqualTo(400);
    assertProblem(badHeader);
  }

  private static RawHttp.Response only(Request request) throws IOException {
    RawHttp.Exchange x =
        RawHttp.send(request.host(), request.port(), request.bytes(), false, BOUND);
    assertThat(x.responses()).hasSize(1);
    return x.responses().get(0);
  }

  // ---- assertions -------------------------------------------------------------------------

  private static void assertWellFormed(Request request, RawHttp.Response r) {
    assertThat(r.status()).as("%s", request).isBetween(100, 599).isNotEqualTo(500);
    String type = String.valueOf(r.header("Content-Type"));
    if (r.status() >= 400) {
      assertThat(type)
          .as("error content type for %s", request)
          .startsWith("application/problem+json");
      if (!request.method().equals("HEAD")) {
        assertProblem(r);
      }
    } else if (type.startsWith("application/json")
        && !request.method().equals("HEAD")
        && r.status() != 204) {
      // A success's JSON parses.
      assertThat(new JsonObject(r.text())).as("%s", request).isNotNull();
    }
  }

  private static void assertProblem(RawHttp.Response r) {
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    JsonObject p = new JsonObject(r.text());
    assertThat(p.getValue("type")).isInstanceOf(String.class);
    assertThat(p.getValue("title")).isInstanceOf(String.class);
    assertThat(p.getValue("status")).isEqualTo(r.status());
  }

  // ---- generators -------------------------------------------------------------------------

  @Provide
  Arbitrary<Request> framed() {
    return Combinators.combine(endpoint(), method(), target(), headers(), body())
        .as(
            (at, method, target, headers, body) ->
                new Request(at.get1(), at.get2(), method, target, headers, body, true));
  }

  @Provide
  Arbitrary<Request> garbage() {
    Arbitrary<Request> brokenLine =
        Combinators.combine(
                endpoint(),
                Arbitraries.of("GET", "G ET", "", "\u0000", "GET\t"),
                Arbitraries.of(
                    "/v1/status",
                    "/v1/ peers",
                    "",
                    "v1/status",
                    "/v1/status HTTP/9.9",
                    "/v1/\r\nstatus",
                    "/v1/p\u00e9ers",
                    "/v1/\u0000"),
                headers())
            .as((at, m, t, h) -> new Request(at.get1(), at.get2(), m, t, h, new byte[0], false));
    Arbitrary<Request> brokenFraming =
        Combinators.combine(
                endpoint(),
                Arbitraries.of("PUT", "POST", "GET"),
                path(),
                Arbitraries.of(
                    List.of("Content-Length: abc"),
                    List.of("Content-Length: -1"),
                    List.of("Content-Length: 5", "Content-Length: 6"),
                    List.of("Content-Length: 99999999999999999999"),
                    List.of("Content-Length: 1000"),
                    List.of("Transfer-Encoding: chunked"),
                    List.of("Transfer-Encoding: chunked", "Content-Length: 3"),
                    List.of("Transfer-Encoding: gzip"),
                    List.of("X-Long: " + "v".repeat(20_000)),
                    List.of(": no name"),
                    List.of("No-Colon"),
                    List.of("Bad Name: x"),
                    List.of("X-Unicode: \u00e9\u4e2d\u0000")),
                Arbitraries.of(
                    "",
                    "abc",
                    "zz\r\nxyz\r\n",
                    "3\r\nabc\r\n0\r\n\r\n",
                    "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"))
            .as(
                (at, m, p, h, b) ->
                    new Request(
                        at.get1(), at.get2(), m, p, h, b.getBytes(StandardCharsets.UTF_8), false));
    return Arbitraries.oneOf(brokenLine, brokenFraming);
  }

  /** Either agent's API (on 127.0.0.1), its peer port (its node's address), or the health port. */
  private Arbitrary<Tuple.Tuple2<String, Integer>> endpoint() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(Tuple.of("127.0.0.1", healthPort))),
        Tuple.of(4, Arbitraries.of(0, 1).map(i -> Tuple.of("127.0.0.1", ports.get(i)))),
        Tuple.of(
            1, Arbitraries.of(0, 1).map(i -> Tuple.of("127.0.0." + (i + 1), peerPorts.get(i)))));
  }

  private Arbitrary<String> method() {
    return Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.of("GET", "POST", "PUT")),
        Tuple.of(3, Arbitraries.of("DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE")),
        Tuple.of(1, Arbitraries.of("get", "FOO", "M-SEARCH", "PROPFIND")),
        Tuple.of(1, Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(12)));
  }

  private Arbitrary<String> path() {
    Arbitrary<String> route = Arbitraries.of(ROUTES);
    return Arbitraries.frequencyOf(
        Tuple.of(10, route),
        Tuple.of(2, route.map(r -> r + "/")),
        Tuple.of(1, route.map(r -> r.toUpperCase(java.util.Locale.ROOT))),
        Tuple.of(1, route.map(r -> r.replace("/", "//"))),
        Tuple.of(1, route.map(r -> r + "/extra")),
        Tuple.of(1, route.map(r -> r + "%00")),
        Tuple.of(
            2,
            Arbitraries.of(
                "/",
                "*",
                "/v1",
                "/v1/peers/../status",
                "/v1/%2e%2e/status",
                "/v1/%zz",
                "/v1/peers%2f",
                "/%",
                "http://127.0.0.1/v1/peers",
                "/v1/peers;x=1",
                "/v1/p%C3%A9ers",
                "/v1/%F0%9F%92%A9",
                "/v1/%ff%fe",
                "/health/live#frag")),
        Tuple.of(
            1,
            Arbitraries.strings()
                .withCharRange('!', '~')
                .excludeChars('?', '#')
                .ofMaxLength(40)
                .map(s -> "/" + s)),
        Tuple.of(1, Arbitraries.integers().between(100, 3000).map(n -> "/v1/" + "a".repeat(n))));
  }

  /** A path, then a query whose first {@code wait} is small or invalid, never a long block. */
  private Arbitrary<String> target() {
    Arbitrary<String> param =
        Arbitraries.frequencyOf(
            Tuple.of(3, value(index()).map(v -> "index=" + v)),
            Tuple.of(3, value(waitValue()).map(v -> "wait=" + v)),
            Tuple.of(1, value(anyText()).map(v -> "x=" + v)),
            Tuple.of(
                1, Arbitraries.of("index", "wait=", "=", "&", "index=1=2", "%zz=1", "wait&wait")));
    return Combinators.combine(
            path(), value(waitValue()), param.list().ofMaxSize(4), Arbitraries.of(true, false))
        .as(
            (path, wait, params, withQuery) -> {
              // Any path that may route to a blocking endpoint once the router normalises it
              // (//v1//formation, /v1/formation/, an absolute http://host/v1/peers) gets a short
              // wait: POST /v1/formation on the agent that never decides would otherwise block for
              // the default 60 s, by design.
              if (!withQuery && !path.contains("peers") && !path.contains("formation")) {
                return path;
              }
              List<String> all = new ArrayList<>();
              all.add("wait=" + wait);
              all.addAll(params);
              return path + "?" + String.join("&", all);
            });
  }

  /** A value as it appears in a query: percent-encoded, or with a raw '%' escape left in. */
  private static Arbitrary<String> value(Arbitrary<String> raw) {
    return raw.flatMap(
        v ->
            Arbitraries.of(
                URLEncoder.encode(v, StandardCharsets.UTF_8),
                v.matches("[A-Za-z0-9._-]*")
                    ? v
                    : URLEncoder.encode(v, StandardCharsets.UTF_8) + "%"));
  }

  private static Arbitrary<String> index() {
    return Arbitraries.oneOf(
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.longs().between(0, 20).map(String::valueOf),
        Arbitraries.of(
            "",
            "-1",
            "0",
            "+5",
            "1.5",
            "1e3",
            "0x10",
            "99999999999999999999",
            "\u0661\u0662",
            "\uff11",
            "abc",
            " 1",
            "9223372036854775807"));
  }

  private static Arbitrary<String> waitValue() {
    return Arbitraries.oneOf(
        // Valid and short: at most 300 ms.
        Arbitraries.integers().between(0, 300).map(n -> n + "ms"),
        Arbitraries.of("0", "0s", "0m", "0h"),
        // Invalid: too long, negative, malformed, overflowing.
        Arbitraries.longs().between(301, Long.MAX_VALUE).map(n -> n + "s"),
        Arbitraries.of(
            "",
            "s",
            "-1",
            "-1s",
            "1.5s",
            "1e3",
            "5d",
            "6m",
            "1h",
            "301",
            "300001ms",
            "+1",
            " 1",
            "\u0661",
            "9223372036854775807m",
            "9223372036854775807h",
            "99999999999999999999",
            "2562047788015216h",
            "153722867280913m",
            "abc",
            "1 s"));
  }

  private static Arbitrary<String> anyText() {
    return Arbitraries.strings().all().ofMaxLength(30);
  }

  private Arbitrary<List<String>> headers() {
    Arbitrary<String> accept =
        header(
            "Accept",
            "application/json",
            "text/plain",
            "text/plain, application/json",
            "*/*",
            "text/plain;q=0.1",
            "application/problem+json",
            "",
            "garbage",
            "text/html",
            "\u00e9");
    Arbitrary<String> contentType =
        header(
            "Content-Type",
            "application/json",
            "text/plain",
            "application/octet-stream",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
            "",
            ";;;");
    Arbitrary<String> node =
        header(
            "Muster-Node",
            "rabbit@127.0.0.9",
            "rabbit@",
            "@",
            "",
            "x@y@z",
            "rabbit@" + "h".repeat(300),
            "r\u00e9@host",
            "rabbit@-bad");
    Arbitrary<String> other =
        Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40).map(v -> "X-Fuzz: " + v);
    return Arbitraries.oneOf(accept, contentType, node, other).list().ofMaxSize(4);
  }

  /** Header lines {@code "NAME: VALUE"}, one of {@code values} each. */
  private static Arbitrary<String> header(String name, String... values) {
    return Arbitraries.of(values).map(v -> name + ": " + v);
  }

  private Arbitrary<byte[]> body() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.just(new byte[0])),
        Tuple.of(4, json(3).map(j -> j.getBytes(StandardCharsets.UTF_8))),
        Tuple.of(
            2,
            Arbitraries.of(
                    "rabbit@a\nrabbit@b\n",
                    "rabbit@a\r\n\r\n  bad  \n",
                    "\n",
                    "{",
                    "[",
                    "{\"disk_nodes\":",
                    "[[[[[[[[",
                    "[".repeat(5000),
                    "{\"a\":".repeat(3000),
                    "null",
                    "true",
                    "1",
                    "\"rabbit@a\"",
                    "\uFEFF[\"rabbit@a\"]")
                .map(s -> s.getBytes(StandardCharsets.UTF_8))),
        Tuple.of(2, Arbitraries.bytes().array(byte[].class).ofMaxSize(64)),
        Tuple.of(2, anyText().map(s -> s.getBytes(StandardCharsets.UTF_8))));
  }

  /** Random JSON, with the field names PUT /v1/members reads. */
  private static Arbitrary<String> json(int depth) {
    Arbitrary<Object> leaf =
        Arbitraries.<Object>oneOf(
            Arbitraries.of("rabbit@a", "rabbit@127.0.0.1", "bad name", "", "x@y@z"),
            Arbitraries.integers(),
            Arbitraries.doubles().between(-1e6, 1e6),
            Arbitraries.of(true, false),
            Arbitraries.<Object>just(null));
    Arbitrary<Object> value =
        depth == 0
            ? leaf
            : Arbitraries.lazy(
                () -> Arbitraries.<Object>oneOf(leaf, json(depth - 1).map(ApiFuzzFaultIT::decode)));
    Arbitrary<String> field =
        Arbitraries.oneOf(
            Arbitraries.of("disk_nodes", "ram_nodes", "running_nodes"),
            Arbitraries.strings().alpha().ofMaxLength(6));
    Arbitrary<String> object =
        Arbitraries.maps(field, value)
            .ofMaxSize(3)
            .map(
                m -> {
                  JsonObject o = new JsonObject();
                  m.forEach(o::put);
                  return o.encode();
                });
    Arbitrary<String> array = value.list().ofMaxSize(4).map(l -> new JsonArray(l).encode());
    return Arbitraries.oneOf(object, array);
  }

  private static Object decode(String json) {
    return json.startsWith("{") ? new JsonObject(json) : new JsonArray(json);
  }
}
