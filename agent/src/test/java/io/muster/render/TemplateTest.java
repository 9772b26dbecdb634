package io.muster.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.exec.ExecSettings;
import io.muster.formation.Decision;
import io.muster.formation.PeerView;
import io.muster.spi.NodeName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemplateTest {

  private static final NodeName A = NodeName.parse("rabbit@node-a");
  private static final NodeName B = NodeName.parse("rabbit@node-b");
  private static final NodeName C = NodeName.parse("rabbit@node-c.example.com");

  @TempDir Path dir;

  static PeerView.Snapshot view(NodeName... peers) {
    return new PeerView.Snapshot(List.of(peers), List.of(peers), false, 7, true, null, null, null);
  }

  private static Map<String, Object> context(NodeName self, Decision d, NodeName... peers) {
    return RenderContext.of(
        self, "classic_config", view(peers), d, ExecSettings.READY_TIMEOUT.defaultValue());
  }

  private static List<String> nodesLines(String rendered) {
    return rendered.lines().filter(l -> l.contains("classic_config.nodes")).toList();
  }

  private Template fileTemplate(String text) throws Exception {
    Path f = dir.resolve("t.mustache");
    Files.writeString(f, text);
    return Template.load(f.toString());
  }

  @Test
  void rabbitmqTemplateForASeedListsNoNodes() {
    String out =
        Template.load("builtin:rabbitmq").render(context(A, new Decision.Seed(A, "c1"), A, B));
    assertThat(nodesLines(out)).isEmpty();
    assertThat(out.lines())
        .contains(
            "cluster_formation.peer_discovery_backend = classic_config",
            "cluster_formation.discovery_retry_limit = 620",
            "cluster_formation.discovery_retry_interval = 500");
    assertThat(out)
        .contains("Rendered by Muster for rabbit@node-a (decision: seed, seed rabbit@node-a)");
  }

  /**
   * Issue 18, defect 3: the template rendered 240 x 500 ms of join retries (2 minutes) while
   * muster.exec.ready.timeout defaults to 5 minutes, so a joiner whose seed was slow gave up,
   * started standalone and passed its readiness probe. The retries now outlast the ready timeout.
   */
  @Test
  void rabbitmqJoinRetriesOutlastTheReadyTimeout() {
    for (long seconds : new long[] {1, 60, 300, 3600}) {
      String out =
          Template.load("builtin:rabbitmq")
              .render(
                  RenderContext.of(
                      B,
                      "classic_config",
                      view(A, B),
                      new Decision.Join(A, List.of(A), "c1"),
                      Duration.ofSeconds(seconds)));
      long limit =
          out.lines()
              .filter(l -> l.startsWith("cluster_formation.discovery_retry_limit = "))
              .mapToLong(l -> Long.parseLong(l.substring(l.indexOf('=') + 2)))
              .findFirst()
              .orElseThrow();
      assertThat(limit * 500)
          .as("join window for a %d s ready timeout", seconds)
          .isGreaterThanOrEqualTo(seconds * 1000 + 10_000);
    }
  }

  @Test
  void rabbitmqTemplateForAJoinListsTheSeedFirstThenTheOthersNumberedFromOne() {
    String out =
        Template.load("builtin:rabbitmq")
            .render(context(B, new Decision.Join(A, List.of(A, C), "c1"), A, B, C));
    assertThat(nodesLines(out))
        .containsExactly(
            "cluster_formation.classic_config.nodes.1 = rabbit@node-a",
            "cluster_formation.classic_config.nodes.2 = rabbit@node-c.example.com");
    assertThat(out).contains("(decision: join, seed rabbit@node-a)");
  }

  @Test
  void rabbitmqTemplateOutputIsAValidMusterConfig() {
    // What Muster writes for RabbitMQ must also load as a config (same cuttlefish syntax).
    String out =
        Template.load("builtin:rabbitmq")
            .render(context(B, new Decision.Join(A, List.of(A), "c1"), A, B));
    io.muster.agent.AgentConfig c =
        io.muster.agent.AgentConfig.fromText(
            "rendered.conf",
            "muster.node_name = rabbit@node-b\nmuster.data_dir = " + dir + "\n" + out,
            Map.of());
    assertThat(c.core().backend()).isEqualTo("classic_config");
  }

  /**
   * builtin:rabbitmq-peer-discovery names no node: RabbitMQ's muster_peer_discovery module takes
   * the decision from muster exec's environment. Its lock fails closed after three tries, and a
   * joiner's join retries outlast the ready timeout as with classic_config.
   */
  @Test
  void peerDiscoveryTemplateSelectsMustersModuleForEveryDecision() {
    for (Decision d :
        List.of(new Decision.Seed(A, "c1"), new Decision.Join(A, List.of(A, C), "c1"))) {
      String out = Template.load("builtin:rabbitmq-peer-discovery").render(context(B, d, A, B, C));
      assertThat(out.lines().filter(l -> !l.startsWith("#") && !l.isBlank()))
          .as(d.action())
          .containsExactly(
              "cluster_formation.peer_discovery_backend = muster_peer_discovery",
              "cluster_formation.lock_retry_limit = 3",
              "cluster_formation.lock_retry_timeout = 5000",
              "cluster_formation.discovery_retry_limit = 620",
              "cluster_formation.discovery_retry_interval = 500");
      assertThat(out).contains("(decision: " + d.action() + ", seed rabbit@node-a)");
    }
  }

  @Test
  void elasticsearchTemplateIsOneHostPerPeer() {
    String out = Template.load("builtin:elasticsearch").render(context(A, null, C, A, B));
    assertThat(out).isEqualTo("node-c.example.com\nnode-a\nnode-b\n");
  }

  @Test
  void plainTemplateIsOneNodeNamePerPeer() {
    String out = Template.load("builtin:plain").render(context(A, null, A, B));
    assertThat(out).isEqualTo("rabbit@node-a\nrabbit@node-b\n");
  }

  @Test
  void plainTemplateOfNoPeersIsEmpty() {
    assertThat(Template.load("builtin:plain").render(context(A, new Decision.Seed(A, "c"))))
        .isEmpty();
  }

  @Test
  void htmlSpecialCharactersAreNotEscaped() throws Exception {
    Template t = fileTemplate("{{#peers}}<{{name}}>&{{/peers}}\n");
    assertThat(t.render(context(A, null, A))).isEqualTo("<rabbit@node-a>&\n");
  }

  @Test
  void fileTemplateSeesEveryDocumentedVariable() throws Exception {
    Template t =
        fileTemplate(
            "{{node}} {{node_host}} {{node_prefix}} {{action}} {{seed}} {{cluster_id}}"
                + " {{peer_count}} {{index}} {{backend}}\n"
                + "{{#join}}j={{name}},{{host}},{{prefix}};{{/join}}\n"
                + "{{#peers}}p={{name}}{{#self}}*{{/self}};{{/peers}}\n"
                + "{{#others}}o={{name}};{{/others}}\n");
    String out = t.render(context(B, new Decision.Join(A, List.of(A), "cid-9"), A, B));
    assertThat(out)
        .isEqualTo(
            "rabbit@node-b node-b rabbit join rabbit@node-a cid-9 2 7 classic_config\n"
                + "j=rabbit@node-a,node-a,rabbit;\n"
                + "p=rabbit@node-a;p=rabbit@node-b*;\n"
                + "o=rabbit@node-a;\n");
  }

  @Test
  void beforeADecisionTheDecisionVariablesAreEmpty() throws Exception {
    Template t = fileTemplate("[{{action}}][{{seed}}][{{cluster_id}}]{{#join}}x{{/join}}\n");
    assertThat(t.render(context(A, null, A))).isEqualTo("[][][]\n");
  }

  @Test
  void unknownVariableInAFileTemplateFailsAtLoad() throws Exception {
    assertThatThrownBy(() -> fileTemplate("{{#peers}}{{hostname}}{{/peers}}\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("a template using only the documented variables")
        .hasMessageContaining("hostname");
    assertThatThrownBy(() -> fileTemplate("seed = {{sead}}\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sead");
  }

  @Test
  void unknownVariableOnlyReachedForASeedFailsAtLoad() {
    assertThatThrownBy(() -> fileTemplate("{{^join}}seed {{sead}}{{/join}}\n"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void misspeltSectionNameFailsAtLoad() {
    assertThatThrownBy(() -> fileTemplate("{{#peer}}{{name}}\n{{/peer}}"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void malformedTemplateFailsAtLoad() {
    assertThatThrownBy(() -> fileTemplate("{{#peers}}{{name}}\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("a valid Mustache template");
  }

  @Test
  void unreadableTemplateFileFailsAtLoadNamingThePath() {
    Path missing = dir.resolve("missing.mustache");
    assertThatThrownBy(() -> Template.load(missing.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void unknownBuiltinFailsAtLoad() {
    assertThatThrownBy(() -> Template.load("builtin:consul"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got builtin:consul");
  }
}
