package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.muster.agent.AgentConfig;
import io.muster.agent.AgentKeys;
import io.muster.backend.Backends;
import io.muster.config.ConfigException;
import io.muster.config.ConfigProblem;
import io.muster.spi.Key;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import picocli.CommandLine;

/**
 * Fuzzes the config parser with generated rabbitmq.conf text: valid lines for every declared key
 * (enumerated as {@code muster describe} does), mutated values, broken syntax, random and very long
 * lines, duplicates, numbered group items and environment overrides. Whatever the input, {@link
 * AgentConfig#fromText} either accepts it or throws {@link ConfigException} whose every problem
 * names where (file:line or the environment variable), the key, and what was expected; {@code
 * muster validate --config F} exits 0 or 2 and names the file and line; nothing hangs.
 *
 * <p>A unit test (no network, about a second of generated tries), so it runs on every build; the
 * API fuzz, which needs a running agent, is {@code ApiFuzzFaultIT}.
 */
class ConfigFuzzTest {

  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final String NAME = "fuzz.conf";
  private static final Pattern FILE_LINE = Pattern.compile(Pattern.quote(NAME) + ":(\\d+)");
  private static final Pattern INTEGER_RANGE = Pattern.compile("integer (-?\\d+)\\.\\.(-?\\d+)");

  /**
   * Every key {@code muster describe} prints: the core's, the compatibility keys, each backend's.
   */
  private static final List<Key<?>> KEYS = describedKeys();

  /**
   * Keys whose valid values depend on other keys or on files (ports and addresses that must differ,
   * readiness probes that exclude each other, cleanup commands, the backend's name, secret files):
   * left out of the configs that must be accepted, and still fuzzed in the rest.
   */
  private static final Set<String> CROSS_FIELD =
      Set.of(
          "cluster_formation.peer_discovery_backend",
          "cluster_formation.node_cleanup.only_log_warning",
          // standalone needs muster.allow_standalone (formation.md invariant 8)
          "muster.on_exhausted",
          "muster.api.port",
          "muster.api.bind",
          "muster.peer.port",
          "muster.peer.bind",
          "muster.health.port",
          "muster.health.bind",
          "muster.cleanup.members_command",
          "muster.cleanup.forget_command",
          "muster.exec.ready.tcp",
          "muster.exec.ready.http",
          "muster.exec.ready.command",
          "muster.node.reset_command",
          "muster.node.leave_command",
          "muster.node.data_dir",
          // secrets read from files that must exist and hold 16+ bytes
          "muster.api.token_file",
          "muster.peer.secret_file",
          // PEM files that must exist, the three together
          "muster.peer.tls.cert_file",
          "muster.peer.tls.key_file",
          "muster.peer.tls.ca_file");

  private static Path dir;

  @BeforeContainer
  static void templates() throws IOException {
    dir = Files.createTempDirectory("muster-config-fuzz");
    Files.writeString(dir.resolve("ok.mustache"), "{{#peers}}{{.}}\n{{/peers}}");
    Files.writeString(dir.resolve("typo.mustache"), "{{#peers}}{{nmae}}{{/peers}}");
    Files.writeString(dir.resolve("broken.mustache"), "{{#peers}}");
    Files.write(dir.resolve("binary.mustache"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
  }

  @AfterContainer
  static void removeTemplates() throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static List<Key<?>> describedKeys() {
    List<Key<?>> keys = new ArrayList<>(AgentKeys.ALL);
    Backends.load().factories().forEach(f -> keys.addAll(f.keys()));
    return List.copyOf(keys);
  }

  // ---- properties -------------------------------------------------------------------------

  @Property(tries = 300)
  void anyTextIsAcceptedOrRejectedWithLocatedExpectedProblems(
      @ForAll("configText") String text, @ForAll("environment") Map<String, String> env) {
    Object outcome = assertTimeoutPreemptively(BOUND, () -> load(text, env));
    if (outcome instanceof ConfigException e) {
      assertWellFormed(e, text, env);
    } else {
      assertThat(outcome).isInstanceOf(AgentConfig.class);
    }
  }

  /**
   * Lines that all parse, with values of every kind: a syntax error anywhere stops loading before
   * values are bound, so this reaches the key types and, when every value fits, the cross-field
   * rules of the settings.
   */
  @Property(tries = 300)
  void wellFormedLinesWithAnyValuesAreAcceptedOrRejectedWithLocatedProblems(
      @ForAll("boundText") String text, @ForAll("environment") Map<String, String> env) {
    Object outcome = assertTimeoutPreemptively(BOUND, () -> load(text, env));
    if (outcome instanceof ConfigException e) {
      assertWellFormed(e, text, env);
    } else {
      assertThat(outcome).isInstanceOf(AgentConfig.class);
    }
  }

  @Property(tries = 200)
  void validConfigsAreAcceptedWithTheValuesWritten(@ForAll("validConfig") ValidConfig config) {
    Object outcome =
        assertTimeoutPreemptively(
            BOUND, () -> load(config.text(), Map.of("RABBITMQ_NODENAME", "rabbit@fuzz")));
    if (outcome instanceof ConfigException e) {
      throw new AssertionError("a valid config was refused:\n" + config.text() + "\n" + e, e);
    }
    AgentConfig loaded = (AgentConfig) outcome;
    config
        .scalars()
        .forEach(
            (key, expected) -> {
              assertThat((Object) loaded.config().get(key)).as(key.name()).isEqualTo(expected);
              assertThat(loaded.config().origin(key)).get().asString().startsWith(NAME + ":");
            });
    assertThat(loaded.render().items()).hasSize(config.renderItems());
  }

  @Property(tries = 60)
  void validateExitsZeroOrTwoNamingFileAndLine(
      @ForAll("configText") String text, @ForAll("junkBytes") byte[] junk, @ForAll int at)
      throws IOException {
    Path file = Files.createTempFile(dir, "fuzz", ".conf");
    // Without a node name the host's name would decide; give one so the outcome is the text's.
    byte[] utf8 = ("muster.node_name = rabbit@fuzz\n" + text).getBytes(StandardCharsets.UTF_8);
    int cut = Math.floorMod(at, utf8.length + 1);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    bytes.write(utf8, 0, cut);
    bytes.write(junk);
    bytes.write(utf8, cut, utf8.length - cut);
    Files.write(file, bytes.toByteArray());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        assertTimeoutPreemptively(
            BOUND,
            () ->
                Main.execute(
                    new CommandLine(new Main()),
                    new PrintWriter(out, true),
                    new PrintWriter(err, true),
                    "validate",
                    "--config",
                    file.toString()));
    assertThat(code).as("exit code; stderr: %s", err).isIn(0, 2);
    if (code == 2) {
      assertThat(err.toString()).isNotBlank();
      for (String line : err.toString().split("\n")) {
        assertThat(line)
            .as("each problem names the file and line, and what was expected")
            .matches(Pattern.quote(file.toString()) + "(:\\d+| \\(.+\\)): .*expected.*");
      }
    } else {
      assertThat(out.toString()).startsWith("OK: " + file);
    }
    Files.delete(file);
  }

  @Provide
  Arbitrary<byte[]> junkBytes() {
    return Arbitraries.oneOf(
        Arbitraries.just(new byte[0]),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(16),
        Arbitraries.of(
            new byte[] {(byte) 0xff},
            new byte[] {(byte) 0xc3},
            new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            new byte[] {0, '\n', 0},
            new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}));
  }

  // ---- regressions found by the fuzzer ----------------------------------------------------

  @Example
  void aDurationTooLargeForJavaIsAnExpectedProblemNotAnOverflow() {
    ConfigException e =
        rejected("muster.stable_margin = 9223372036854775807m\nmuster.render.wait = 99999999999h");
    assertThat(e.problems())
        .extracting(ConfigProblem::message)
        .allMatch(m -> m.startsWith("expected a duration"));
  }

  @Example
  void aKeyOfManyThousandSegmentsIsAMalformedKeyNotAStackOverflow() {
    String key = "muster" + ".a".repeat(50_000);
    ConfigException e = rejected(key + " = 1\nmuster.api.bind = " + "a.".repeat(50_000) + "b");
    assertWellFormed(e, key, Map.of());
  }

  @Example
  void aVeryLongUnknownKeyIsRefusedQuickly() {
    String key = "muster." + "x".repeat(1_000_000);
    ConfigException e = assertTimeoutPreemptively(BOUND, () -> rejected(key + " = 1"));
    assertThat(e.problems().get(0).message()).startsWith("unknown key");
  }

  @Example
  void aFileThatIsNotUtf8NamesTheLineOfTheBadByte() throws IOException {
    Path file = dir.resolve("latin1.conf");
    Files.write(
        file, "muster.node_name = rabbit@a\nmuster.data_dir = /caf\u00e9\n".getBytes("ISO-8859-1"));
    StringWriter err = new StringWriter();
    int code =
        Main.execute(
            new CommandLine(new Main()),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true),
            "validate",
            "--config",
            file.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .startsWith(file + ":2: bytes that are not UTF-8 (expected UTF-8 text; byte 0xe9)");
  }

  @Example
  void aTemplatePathThatNeverEndsIsRefusedNotReadToTheEnd() {
    ConfigException e =
        rejected("muster.render.1.template = /dev/zero\nmuster.render.1.destination = /tmp/x");
    assertThat(e.problems().get(0).message()).contains("at most 1 MiB");
  }

  @Example
  void everySyntaxProblemSaysWhatWasExpected() {
    ConfigException e =
        rejected("= v\nmuster.api.port =\nmuster.api.port = 'open\nmuster.api.port = 'x' y\nx");
    assertThat(e.problems()).hasSize(5).allMatch(p -> p.message().contains("expected"));
  }

  // ---- assertions -------------------------------------------------------------------------

  /** Loads text; returns the config or the ConfigException, and lets anything else escape. */
  private static Object load(String text, Map<String, String> env) {
    try {
      return AgentConfig.fromText(NAME, text, env);
    } catch (ConfigException e) {
      return e;
    }
  }

  private static ConfigException rejected(String text) {
    Object outcome = load(text, Map.of("RABBITMQ_NODENAME", "rabbit@fuzz"));
    assertThat(outcome).isInstanceOf(ConfigException.class);
    return (ConfigException) outcome;
  }

  private static void assertWellFormed(ConfigException e, String text, Map<String, String> env) {
    int lines = text.split("\r?\n", -1).length;
    assertThat(e.problems()).isNotEmpty();
    for (ConfigProblem p : e.problems()) {
      assertThat(p.message()).as("%s", p).contains("expected");
      Matcher m = FILE_LINE.matcher(p.origin());
      if (m.matches()) {
        assertThat(Integer.parseInt(m.group(1))).as("%s", p).isBetween(1, lines);
      } else if (p.origin().startsWith("environment ")) {
        String var = p.origin().substring("environment ".length());
        assertThat(env).as("%s", p).containsKey(var);
      } else {
        // A cross-field rule blaming a key left at its default, or the host's name.
        assertThat(p.origin()).as("%s", p).matches(Pattern.quote(NAME) + " \\(.+\\)|host name");
      }
      boolean lineSyntax =
          p.message().startsWith("missing '='")
              || p.message().startsWith("missing key")
              || p.message().startsWith("malformed key");
      if (!lineSyntax) {
        assertThat(p.key()).as("%s", p).isNotBlank();
      }
    }
  }

  // ---- generators -------------------------------------------------------------------------

  @Provide
  Arbitrary<String> configText() {
    Arbitrary<String> line =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, validLine()),
            net.jqwik.api.Tuple.of(5, mutatedValueLine()),
            net.jqwik.api.Tuple.of(3, mutatedKeyLine()),
            net.jqwik.api.Tuple.of(3, syntaxEdgeLine()),
            net.jqwik.api.Tuple.of(2, foreignLine()),
            net.jqwik.api.Tuple.of(2, Arbitraries.strings().all().ofMaxLength(80)),
            net.jqwik.api.Tuple.of(1, longLine()),
            net.jqwik.api.Tuple.of(1, Arbitraries.of("", "# comment", "   ", "\t# x = y")));
    Arbitrary<List<String>> lines = line.list().ofMaxSize(25);
    // Duplicates: now and then a line written twice.
    return Combinators.combine(lines, Arbitraries.of("\n", "\r\n"), Arbitraries.integers())
        .as(
            (ls, eol, dup) -> {
              List<String> all = new ArrayList<>(ls);
              if (!all.isEmpty() && dup % 4 == 0) {
                all.add(all.get(Math.floorMod(dup, all.size())));
              }
              return String.join(eol, all);
            });
  }

  @Provide
  Arbitrary<String> boundText() {
    Arbitrary<String> line =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, validLine()),
            net.jqwik.api.Tuple.of(2, mutatedValueLine()),
            net.jqwik.api.Tuple.of(1, foreignLine()),
            net.jqwik.api.Tuple.of(1, Arbitraries.of("", "# comment")));
    return line.list().ofMaxSize(10).map(ls -> String.join("\n", ls));
  }

  @Provide
  Arbitrary<Map<String, String>> environment() {
    Arbitrary<String> name =
        Arbitraries.oneOf(
            Arbitraries.of(KEYS).flatMap(ConfigFuzzTest::writtenKey).map(ConfigFuzzTest::envName),
            Arbitraries.of("MUSTER__", "MUSTER____X", "CLUSTER_FORMATION__", "MUSTER__API__PORTT"),
            Arbitraries.strings()
                .withCharRange('A', 'Z')
                .withChars('_', '1')
                .ofMaxLength(20)
                .map(s -> "MUSTER__" + s),
            Arbitraries.of("RABBITMQ_NODENAME", "RABBITMQ_USE_LONGNAME", "PATH"));
    Arbitrary<String> value = Arbitraries.oneOf(anyValue(), Arbitraries.strings().ofMaxLength(20));
    return Arbitraries.maps(name, value)
        .ofMaxSize(4)
        .map(
            m -> {
              Map<String, String> env = new LinkedHashMap<>(m);
              env.putIfAbsent("RABBITMQ_NODENAME", "rabbit@fuzz");
              return env;
            });
  }

  private static String envName(String key) {
    return key.toUpperCase(Locale.ROOT).replace(".", "__");
  }

  /** How a key is written: its name, with a list index, a map word or a group number. */
  private static Arbitrary<String> writtenKey(Key<?> key) {
    return switch (key.shape()) {
      case SCALAR ->
          key.aliases().isEmpty()
              ? Arbitraries.just(key.name())
              : Arbitraries.of(concat(key.name(), key.aliases()));
      case LIST -> index().map(i -> key.name() + "." + i);
      case MAP ->
          Arbitraries.strings()
              .alpha()
              .ofMinLength(1)
              .ofMaxLength(8)
              .map(w -> key.name() + "." + w);
      case GROUP -> index().map(i -> key.name().replace(".N.", "." + i + "."));
    };
  }

  private static Arbitrary<String> index() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(1, 5).map(String::valueOf),
        Arbitraries.of("0", "01", "007", "999999999", "99999999999", "x", "-1", "1a"));
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> all = new ArrayList<>();
    all.add(first);
    all.addAll(rest);
    return all;
  }

  private Arbitrary<String> validLine() {
    return Arbitraries.of(KEYS)
        .flatMap(k -> Combinators.combine(writtenKey(k), validValue(k)).as(ConfigFuzzTest::line));
  }

  private Arbitrary<String> mutatedValueLine() {
    return Arbitraries.of(KEYS)
        .flatMap(k -> Combinators.combine(writtenKey(k), anyValue()).as(ConfigFuzzTest::line));
  }

  private Arbitrary<String> mutatedKeyLine() {
    Arbitrary<String> key =
        Arbitraries.of(KEYS)
            .flatMap(ConfigFuzzTest::writtenKey)
            .flatMap(
                k ->
                    Combinators.combine(
                            Arbitraries.integers().between(0, k.length() - 1),
                            Arbitraries.of(
                                "", "x", ".", "..", "ü", " ", "=", "#", "\u0000", "\u00e9t\u00e9"))
                        .as((at, s) -> k.substring(0, at) + s + k.substring(at + 1)));
    return Combinators.combine(key, anyValue()).as(ConfigFuzzTest::line);
  }

  private Arbitrary<String> syntaxEdgeLine() {
    return Arbitraries.of(
        "=",
        "==",
        "= =",
        "= value",
        "muster.api.port",
        "muster.api.port =",
        "muster.api.port == 1",
        "muster.api.port = 1 = 2",
        "muster.api.port = \"",
        "muster.api.port = '",
        "muster.api.port = \"1\" 2",
        "muster.api.port = '1' # ok",
        "muster.api.port = \"\"",
        "muster.api.port = # only a comment",
        "muster.api.port\t=\t7070",
        "  muster.api.port   =   7070   # spaced",
        "muster..api = 1",
        ".muster = 1",
        "muster. = 1",
        "muster.api.port. = 1",
        "muster = 1",
        "cluster_formation = x",
        "muster.render.1.template = builtin:plain",
        "muster.render.01.template = builtin:plain",
        "muster.render.0.destination = /tmp/x",
        "muster.render.1.2.template = builtin:plain",
        "muster.render.N.template = builtin:plain",
        "cluster_formation.classic_config.nodes = rabbit@a",
        "cluster_formation.classic_config.nodes.1.2 = rabbit@a",
        "muster.exec.ready.tcp = :",
        "muster.exec.ready.tcp = [::1]:",
        "muster.exec.ready.tcp = host:99999999999",
        "cluster_formation.etcd.password = secret",
        "\uFEFFmuster.api.port = 1",
        "muster.api.port = 1\u2028muster.api.port = 2",
        "muster.api.port = 1\rmuster.peer.port = 2");
  }

  private Arbitrary<String> foreignLine() {
    return Arbitraries.of(
        "listeners.tcp.default = 5672",
        "loopback_users.guest = false",
        "log.console.level = info",
        "cluster_formation_x = 1",
        "musterx.y = 1",
        "default_pass = \"se#cret\"");
  }

  private Arbitrary<String> longLine() {
    // Sizes picked from a list: jqwik's integers lean towards the low end of a range.
    return Arbitraries.of(1_000, 8_000, 30_000, 120_000)
        .flatMap(
            n ->
                Arbitraries.of(
                    "muster." + "a".repeat(n) + " = 1",
                    "muster" + ".a".repeat(n / 2) + " = 1",
                    "muster.api.bind = " + "a.".repeat(n / 2) + "b",
                    "muster.node_name = rabbit@" + "a.".repeat(n / 2) + "b",
                    "muster.api.port = " + "9".repeat(n),
                    "muster.stable_margin = " + "9".repeat(n) + "ms",
                    "muster.data_dir = /" + "d/".repeat(n / 2),
                    "x".repeat(n),
                    "=".repeat(n),
                    "listeners.tcp.default = " + "\u00fc".repeat(n)));
  }

  /** Values of every kind, valid for some key or for none. */
  private Arbitrary<String> anyValue() {
    return Arbitraries.oneOf(
        Arbitraries.integers().map(String::valueOf),
        Arbitraries.longs().map(String::valueOf),
        Combinators.combine(
                Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.of("", "ms", "s", "m", "h"))
            .as((n, unit) -> n + unit),
        Arbitraries.of(
            "0",
            "-1",
            "+1",
            "1_000",
            " 1 ",
            "0x10",
            "1e3",
            "99999999999999999999",
            "\u0661\u0662",
            "\uff11",
            "true",
            "TRUE",
            "yes",
            "",
            "\"\"",
            "''",
            "\"   \"",
            "'#'",
            "\"a'b\"",
            "9223372036854775807m",
            "9223372036854775807h",
            "9223372036854775807s",
            "9223372036854775807ms",
            "99999999999999h",
            "153722867280913m",
            "2562047788015216h",
            "5d",
            "5 s",
            "5S",
            "-5s",
            "1.5s",
            "rabbit@",
            "@host",
            "rabbit@host@x",
            "rabbit@-h",
            "rabbit@h..x",
            "rabbit@" + "h".repeat(64),
            "r\u00e4bbit@host",
            "rabbit@127.0.0.1",
            "http://",
            "http://[",
            "http://:80",
            "https://h:99999/x",
            "ftp://h/",
            "http:/h",
            "h:port",
            "[::1]",
            "[::1",
            ":::::",
            "::1]",
            "builtin:",
            "builtin:nope",
            "builtin:plain",
            "/nonexistent/t.mustache",
            "a\u0000b",
            "/dev/null",
            "/dev/zero",
            "immediately",
            "SEED_READY",
            "standalone",
            "classic_config",
            "etcd",
            "rabbit_peer_discovery_k8s",
            "nope",
            "{node}",
            "rabbitmqctl forget_cluster_node {node}",
            "\u202e\u0007\u001b[31m"),
        templateFiles(),
        Arbitraries.strings().all().ofMaxLength(30),
        Arbitraries.strings()
            .withCharRange(' ', '~')
            .ofMaxLength(30)
            .map(s -> Math.abs(s.hashCode()) % 2 == 0 ? "\"" + s + "\"" : s));
  }

  private Arbitrary<String> templateFiles() {
    // A good one, an unknown variable, a syntax error, not UTF-8, absent, and a directory.
    return Arbitraries.of("ok", "typo", "broken", "binary", "missing", "")
        .map(n -> n.isEmpty() ? dir.toString() : dir.resolve(n + ".mustache").toString());
  }

  private static String line(String key, String value) {
    return key + " = " + value;
  }

  // ---- valid configs ----------------------------------------------------------------------

  /** A config text, the typed values it must bind, and how many files it renders. */
  record ValidConfig(String text, Map<Key<?>, Object> scalars, int renderItems) {}

  record Entry(Key<?> key, String written, Object parsed) {}

  @Provide
  Arbitrary<ValidConfig> validConfig() {
    List<Key<?>> independent =
        KEYS.stream()
            .filter(k -> k.shape() == Key.Shape.SCALAR && !CROSS_FIELD.contains(k.name()))
            .toList();
    Arbitrary<List<Entry>> scalars =
        Arbitraries.of(independent)
            .list()
            .uniqueElements()
            .ofMaxSize(12)
            .flatMap(
                keys ->
                    Combinators.combine(
                            keys.stream()
                                .map(
                                    k ->
                                        validValue(k).map(v -> new Entry(k, v, parseWritten(k, v))))
                                .toList())
                        .as(List::copyOf));
    Arbitrary<List<String>> nodes = nodeName().list().ofMaxSize(4);
    Arbitrary<List<String>> render =
        Arbitraries.of("builtin:plain", "builtin:rabbitmq", "builtin:elasticsearch", "file")
            .list()
            .ofMaxSize(3);
    Arbitrary<List<String>> decoration =
        Arbitraries.of("", "# a comment", "listeners.tcp.default = 5672", "   ")
            .list()
            .ofMaxSize(4);
    return Combinators.combine(
            scalars, nodes, render, decoration, Arbitraries.of("\n", "\r\n"), spacing())
        .as(
            (entries, nodeNames, templates, extra, eol, eq) -> {
              List<String> lines = new ArrayList<>(extra);
              Map<Key<?>, Object> expected = new LinkedHashMap<>();
              for (Entry e : entries) {
                if (e.key().ignoredBecause() == null) {
                  expected.put(e.key(), e.parsed());
                }
                lines.add(e.key().name() + eq + e.written());
              }
              List<String> listed = new ArrayList<>(nodeNames);
              boolean setsNothing =
                  entries.stream().allMatch(e -> e.key().ignoredBecause() != null);
              if (setsNothing && listed.isEmpty() && templates.isEmpty()) {
                listed.add("rabbit@fuzz"); // a config that sets nothing is refused (invariant 8)
              }
              for (int i = 0; i < listed.size(); i++) {
                lines.add("cluster_formation.classic_config.nodes." + (i + 1) + eq + listed.get(i));
              }
              for (int i = 0; i < templates.size(); i++) {
                String t = templates.get(i);
                String spec = t.equals("file") ? dir.resolve("ok.mustache").toString() : t;
                lines.add("muster.render." + (i + 1) + ".template" + eq + spec);
                lines.add(
                    "muster.render." + (i + 1) + ".destination" + eq + dir.resolve("out" + i));
                if (i % 2 == 1) {
                  lines.add("muster.render." + (i + 1) + ".command" + eq + "true");
                }
              }
              return new ValidConfig(String.join(eol, lines), expected, templates.size());
            });
  }

  private static Arbitrary<String> spacing() {
    return Arbitraries.of(" = ", "=", "\t=\t", "   =  ");
  }

  /** The value a written (possibly quoted or commented) valid value stands for. */
  private static Object parseWritten(Key<?> key, String written) {
    String raw = written;
    int hash = raw.indexOf(" #");
    if (!raw.startsWith("\"") && hash >= 0) {
      raw = raw.substring(0, hash);
    }
    if (raw.startsWith("\"")) {
      raw = raw.substring(1, raw.indexOf('"', 1));
    }
    return key.type().parse(raw.strip());
  }

  /**
   * A value the key's own type accepts, written plainly, quoted, or with a trailing comment. The
   * type's description says what to make; where a random one falls outside the key's bounds, its
   * default is written instead (still a value the file sets).
   */
  private Arbitrary<String> validValue(Key<?> key) {
    String type = key.type().description();
    Arbitrary<String> raw;
    Matcher range = INTEGER_RANGE.matcher(type);
    if (range.lookingAt()) {
      raw =
          Arbitraries.integers()
              .between(Integer.parseInt(range.group(1)), Integer.parseInt(range.group(2)))
              .map(String::valueOf);
    } else if (type.startsWith("duration")) {
      raw =
          Combinators.combine(
                  Arbitraries.integers().between(1, 60), Arbitraries.of("", "ms", "s", "m"))
              .as((n, u) -> n + u);
    } else if (type.startsWith("boolean")) {
      raw = Arbitraries.of("true", "false");
    } else if (type.startsWith("one of ")) {
      raw =
          Arbitraries.of(type.substring("one of ".length()).split(", "))
              .flatMap(w -> Arbitraries.of(w, w.toUpperCase(Locale.ROOT)));
    } else if (type.startsWith("node name")) {
      raw = nodeName();
    } else if (type.startsWith("host name")) {
      raw = Arbitraries.of("localhost", "127.0.0.1", "::1", "[::1]", "a-b.example.org");
    } else if (type.startsWith("path")) {
      raw =
          Arbitraries.strings()
              .alpha()
              .numeric()
              .ofMinLength(1)
              .ofMaxLength(10)
              .map(s -> "/v/" + s);
    } else if (type.startsWith("signal name")) {
      raw = Arbitraries.of("HUP", "SIGHUP", "usr1", "SIGUSR2", "QUIT", "WINCH");
    } else if (type.startsWith("octal file mode")) {
      raw = Arbitraries.integers().between(0, 0777).map(m -> String.format("0%03o", m));
    } else if (type.startsWith("user or group") || type.startsWith("user name")) {
      raw = Arbitraries.of("root", "0");
    } else if (type.startsWith("proxy")) {
      raw = Arbitraries.of("proxy", "proxy:3128", "http://proxy:3128");
    } else if (type.contains("http://")) {
      raw = Arbitraries.of("http://127.0.0.1:15672/api/health", "https://h.example/x");
    } else {
      // string / any: printable text and some unicode, no quote characters.
      raw =
          Arbitraries.strings()
              .withCharRange(' ', '~')
              .withChars('\u00e9', '\u4e2d', '\u00df')
              .excludeChars('"', '\'')
              .ofMinLength(1)
              .ofMaxLength(20)
              .filter(s -> !s.isBlank());
    }
    String fallback = key.defaultText();
    // a default that is prose (muster.cleanup.absent_for's), not a value: draw again instead
    Arbitrary<String> valid =
        accepts(key, fallback)
            ? raw.map(v -> accepts(key, v) ? v : fallback)
            : raw.filter(v -> accepts(key, v));
    return valid.flatMap(
        v ->
            needsQuotes(v)
                ? Arbitraries.just("\"" + v + "\"")
                : Arbitraries.of(v, "\"" + v + "\"", v + " # note"));
  }

  private static boolean needsQuotes(String v) {
    return v.contains("#") || !v.equals(v.strip());
  }

  private static boolean accepts(Key<?> key, String value) {
    try {
      key.type().parse(value);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Arbitrary<String> nodeName() {
    Arbitrary<String> prefix =
        Arbitraries.strings().alpha().numeric().withChars('_', '-').ofMinLength(1).ofMaxLength(10);
    Arbitrary<String> label = Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(8);
    return Combinators.combine(prefix, label.list().ofMinSize(1).ofMaxSize(3))
        .as((p, ls) -> p + "@" + String.join(".", ls));
  }
}
