package io.muster.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentKeys;
import io.muster.backend.Backends;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

  private static final Key<String> PASSWORD =
      Key.scalar("cluster_formation.etcd.password", KeyType.STRING, null, "pw").secret();
  private static final Key<Integer> TTL =
      Key.scalar("cluster_formation.etcd.node_ttl", KeyType.integer(1, 3600), 30, "ttl");

  private static ConfigLoader loader() {
    List<Key<?>> keys = new ArrayList<>(AgentKeys.ALL);
    keys.addAll(
        Backends.load().catalogue(AgentKeys.ALL).keys().stream()
            .filter(k -> k.name().contains("classic"))
            .toList());
    keys.add(PASSWORD);
    keys.add(TTL);
    return new ConfigLoader(
        new Catalogue(keys, Map.of("cluster_formation.aws", "muster-backend-aws")));
  }

  private static ConfigProblem onlyProblem(String text) {
    try {
      loader().loadText("f.conf", text, Map.of());
    } catch (ConfigException e) {
      assertThat(e.problems()).hasSize(1);
      return e.problems().get(0);
    }
    throw new AssertionError("expected a ConfigException");
  }

  @Test
  void misspeltKeyIsReportedWithLineAndASuggestion() {
    ConfigProblem p = onlyProblem("# x\ncluster_formation.clasic_config.nodes.1 = rabbit@a\n");
    assertThat(p.origin()).isEqualTo("f.conf:2");
    assertThat(p.key()).isEqualTo("cluster_formation.clasic_config.nodes.1");
    assertThat(p.message())
        .contains("unknown key")
        .contains("did you mean cluster_formation.classic_config.nodes.1?");
  }

  /**
   * Issue 18, defect 11: a misspelt namespace was ignored as one of RabbitMQ's own keys, so the
   * agent ran classic_config alone and seeded (fail open). It is an error now; RabbitMQ's own
   * cluster_* keys stay ignored.
   */
  @Test
  void aNearMissOfMustersNamespacesIsAnErrorNotARabbitMqKey() {
    ConfigProblem p = onlyProblem("cluster_formaton.peer_discovery_backend = etcd\n");
    assertThat(p.origin()).isEqualTo("f.conf:1");
    assertThat(p.key()).isEqualTo("cluster_formaton.peer_discovery_backend");
    assertThat(p.message()).contains("did you mean cluster_formation.peer_discovery_backend?");
    assertThat(onlyProblem("mustr.api.port = 7080\n").message())
        .contains("did you mean muster.api.port?");
    Config ok =
        loader()
            .loadText(
                "f.conf",
                "cluster_name = prod\ncluster_partition_handling = autoheal\n"
                    + "cluster_formation.classic_config.nodes.1 = rabbit@a\n",
                Map.of());
    assertThat(ok.foreignKeys()).containsExactly("cluster_name", "cluster_partition_handling");
  }

  @Test
  void badValueSaysWhatWasExpectedAndWhatWasGiven() {
    ConfigProblem p = onlyProblem("cluster_formation.discovery_retry_limit = ten\n");
    assertThat(p.toString())
        .isEqualTo(
            "f.conf:1: cluster_formation.discovery_retry_limit: expected an integer 0..1000000, got \"ten\"");
  }

  /**
   * Issue 24: the tarball's conf/ templates carry placeholders; one left unedited is exit 2 naming
   * its line, key and what to do, never a node name or a path that happens to parse.
   */
  @Test
  void aTemplatePlaceholderLeftInIsRefusedWithItsLineKeyAndWhatToDo() {
    ConfigException e =
        catchConfigException(
            "# a template\nmuster.node_name = @NODE_NAME@\nmuster.data_dir = @DATA_DIR@\n"
                + "cluster_formation.classic_config.nodes.1 = rabbit@@HOST@\n");
    assertThat(e.problems())
        .extracting(ConfigProblem::toString)
        .containsExactly(
            "f.conf:2: muster.node_name: expected a real value, not the template's"
                + " placeholder @NODE_NAME@ (edit it: the template's comment above the line says"
                + " what belongs there)",
            "f.conf:3: muster.data_dir: expected a real value, not the template's"
                + " placeholder @DATA_DIR@ (edit it: the template's comment above the line says"
                + " what belongs there)",
            "f.conf:4: cluster_formation.classic_config.nodes.1: expected a real value,"
                + " not the template's placeholder @HOST@ (edit it: the template's comment above"
                + " the line says what belongs there)");
  }

  @Test
  void aPlaceholderFromTheEnvironmentIsRefusedToo() {
    assertThatThrownBy(
            () -> loader().loadText("f.conf", "", Map.of("MUSTER__NODE_NAME", "@NODE_NAME@")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "environment MUSTER__NODE_NAME: muster.node_name: expected a real value, not"
                + " the template's placeholder @NODE_NAME@ (edit it: the template's comment above"
                + " the line says what belongs there)");
  }

  @Test
  void aSecretThatLooksLikeAPlaceholderIsTakenAsGiven() {
    Config c =
        loader().loadText("f.conf", "cluster_formation.etcd.password = x@PASS_WORD@y\n", Map.of());
    assertThat(c.get(PASSWORD)).isEqualTo("x@PASS_WORD@y");
  }

  @Test
  void anEmailLikeOrLowerCaseValueIsNoPlaceholder() {
    Config c =
        loader()
            .loadText(
                "f.conf",
                "muster.node_name = rabbit@mq-1\nmuster.data_dir = /srv/@muster@/data\n",
                Map.of());
    assertThat(c.get(CoreKeys.NODE_NAME)).isEqualTo(NodeName.parse("rabbit@mq-1"));
  }

  private static ConfigException catchConfigException(String text) {
    try {
      loader().loadText("f.conf", text, Map.of());
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected a ConfigException");
  }

  @Test
  void badSecretValueIsReportedWithoutTheValue() {
    ConfigProblem p = onlyProblem("cluster_formation.etcd.password = ''\n".replace("''", "\"\""));
    assertThat(p.toString()).doesNotContain("\"\"");
  }

  @Test
  void secretsAreRedactedInThePrintableConfig() {
    Config c = loader().loadText("f.conf", "cluster_formation.etcd.password = hunter2\n", Map.of());
    assertThat(c.get(PASSWORD)).isEqualTo("hunter2");
    assertThat(c.redacted().toString()).doesNotContain("hunter2").contains("(redacted)");
  }

  @Test
  void aProxyPasswordIsUsedButNeverShownInThePrintableConfig() {
    Config c =
        loader()
            .loadText(
                "f.conf",
                "cluster_formation.proxy.http_proxy = http://op:s3cr%2Ft@proxy.local:3128\n",
                Map.of());
    assertThat(c.get(CoreKeys.HTTP_PROXY).getUserInfo()).isEqualTo("op:s3cr/t");
    assertThat(c.redacted())
        .containsEntry(
            "cluster_formation.proxy.http_proxy", "http://op:(redacted)@proxy.local:3128");
  }

  @Test
  void aBadProxyValueIsEchoedWithoutItsPassword() {
    ConfigProblem p =
        onlyProblem("cluster_formation.proxy.https_proxy = socks5://op:pa/ss@w@rd@proxy:1080\n");
    assertThat(p.message())
        .endsWith("got \"socks5://op:(redacted)@proxy:1080\"")
        .doesNotContain("pa/ss")
        .doesNotContain("rd@proxy");
    assertThat(onlyProblem("cluster_formation.proxy.http_proxy = op:pa/ss@:80\n").message())
        .doesNotContain("pa/ss");
  }

  @Test
  void duplicateKeyNamesTheFirstLine() {
    ConfigProblem p = onlyProblem("muster.api.port = 1\nmuster.api.port = 2\n");
    assertThat(p.toString())
        .isEqualTo(
            "f.conf:2: muster.api.port: duplicate key (expected once; first set at f.conf:1)");
  }

  @Test
  void keysOutsideOurNamespacesAreIgnoredSoAWholeRabbitmqConfLoads() {
    Config c =
        loader()
            .loadText(
                "rabbitmq.conf",
                "listeners.tcp.default = 5672\nloopback_users.guest = false\ncluster_formation.node_type = disc\n",
                Map.of());
    assertThat(c.foreignKeys()).containsExactly("listeners.tcp.default", "loopback_users.guest");
    assertThat(c.notes())
        .singleElement()
        .asString()
        .contains("cluster_formation.node_type")
        .contains("ignored");
  }

  @Test
  void keysOfAnAbsentBackendAreSkippedNamingTheModule() {
    Config c = loader().loadText("f.conf", "cluster_formation.aws.region = eu-west-1\n", Map.of());
    assertThat(c.notes()).singleElement().asString().contains("muster-backend-aws");
  }

  @Test
  void listsAreOrderedByNumericIndex() {
    Config c =
        loader()
            .loadText(
                "f.conf",
                "cluster_formation.classic_config.nodes.10 = rabbit@c\n"
                    + "cluster_formation.classic_config.nodes.2 = rabbit@b\n"
                    + "cluster_formation.classic_config.nodes.1 = rabbit@a\n",
                Map.of());
    Key<?> nodes =
        Backends.load().catalogue(AgentKeys.ALL).keys().stream()
            .filter(k -> k.name().endsWith("classic_config.nodes"))
            .findFirst()
            .orElseThrow();
    assertThat(c.get(nodes))
        .isEqualTo(
            List.of(
                NodeName.parse("rabbit@a"),
                NodeName.parse("rabbit@b"),
                NodeName.parse("rabbit@c")));
  }

  @Test
  void environmentOverridesTheFileAndIsNamedInErrors() {
    Config c =
        loader()
            .loadText(
                "f.conf",
                "muster.api.port = 7070\ncluster_formation.discovery_retry_interval = 500\n",
                Map.of(
                    "MUSTER__API__PORT",
                    "7080",
                    "CLUSTER_FORMATION__DISCOVERY_RETRY_INTERVAL",
                    "2s",
                    "PATH",
                    "/bin"));
    assertThat(c.get(CoreKeys.API_PORT)).isEqualTo(7080);
    assertThat(c.get(CoreKeys.RETRY_INTERVAL)).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.origin(CoreKeys.API_PORT)).contains("environment MUSTER__API__PORT");

    assertThatThrownBy(() -> loader().loadText("f.conf", "", Map.of("MUSTER__API__PORTT", "1")))
        .hasMessageStartingWith("environment MUSTER__API__PORTT: muster.api.portt: unknown key");
  }

  @Test
  void defaultsAreRabbitmqsWhenKeysAreAbsent() {
    Config c = loader().loadText("f.conf", "", Map.of());
    assertThat(c.get(CoreKeys.RETRY_LIMIT)).isEqualTo(10);
    assertThat(c.get(CoreKeys.RETRY_INTERVAL)).isEqualTo(Duration.ofMillis(500));
    assertThat(c.get(CoreKeys.CLEANUP_INTERVAL)).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.get(CoreKeys.CLEANUP_ONLY_LOG)).isTrue();
    assertThat(c.get(CoreKeys.API_BIND)).isEqualTo("127.0.0.1");
    assertThat(c.get(TTL)).isEqualTo(30);
  }

  @Test
  void nodeNameComesFromRabbitmqNodenameThenHostname() {
    Config c = loader().loadText("f.conf", "", Map.of());
    assertThat(
            CoreSettings.from(c, Map.of("RABBITMQ_NODENAME", "hare"), () -> "mq-1.example.local")
                .nodeName())
        .hasToString("hare@mq-1");
    assertThat(
            CoreSettings.from(
                    c, Map.of("RABBITMQ_USE_LONGNAME", "true"), () -> "mq-1.example.local")
                .nodeName())
        .hasToString("rabbit@mq-1.example.local");
    assertThat(CoreSettings.from(c, Map.of(), () -> "mq-1.example.local").nodeName())
        .hasToString("rabbit@mq-1");
    assertThatThrownBy(
            () -> CoreSettings.from(c, Map.of("RABBITMQ_NODENAME", "x@bad host"), () -> "h"))
        .hasMessageStartingWith(
            "environment RABBITMQ_NODENAME: muster.node_name: expected a valid node name");
  }

  @Test
  void crossFieldRuleIsReportedAtTheOffendingLine() {
    Config c =
        loader()
            .loadText("f.conf", "muster.api.port = 7071\nmuster.peer.bind = 127.0.0.1\n", Map.of());
    assertThatThrownBy(() -> CoreSettings.from(c, Map.of(), () -> "h"))
        .hasMessage(
            "f.conf (default): muster.peer.port: expected a port other than muster.api.port (7071) on one address");
  }

  @Test
  void healthPortIsOffByDefaultAndMustNotShareTheApiPort() {
    Config off = loader().loadText("f.conf", "", Map.of());
    assertThat(CoreSettings.from(off, Map.of(), () -> "h").healthPort()).isEmpty();
    Config clash = loader().loadText("f.conf", "muster.health.port = 7070\n", Map.of());
    assertThatThrownBy(() -> CoreSettings.from(clash, Map.of(), () -> "h"))
        .hasMessage(
            "f.conf:1: muster.health.port: expected a port other than muster.api.port (7070) and"
                + " muster.peer.port (7071)");
    Config ok = loader().loadText("f.conf", "muster.health.port = 7072\n", Map.of());
    assertThat(CoreSettings.from(ok, Map.of(), () -> "h").healthPort()).contains(7072);
    assertThat(CoreSettings.from(ok, Map.of(), () -> "h").healthBind()).isEqualTo("0.0.0.0");
  }
}
