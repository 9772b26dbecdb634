package io.muster.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.agent.AgentConfig;
import io.muster.render.RenderSettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Numbered items ({@code prefix.N.field}), bound through the whole loader as an operator would. */
class GroupKeyTest {

  @TempDir Path dir;

  private String base() {
    return "muster.node_name = rabbit@127.0.0.1\nmuster.data_dir = " + dir.resolve("data") + "\n";
  }

  private AgentConfig load(String lines) {
    return AgentConfig.fromText("m.conf", base() + lines, Map.of());
  }

  private ConfigProblem onlyProblem(String lines) {
    try {
      load(lines);
    } catch (ConfigException e) {
      assertThat(e.problems()).hasSize(1);
      return e.problems().get(0);
    }
    throw new AssertionError("expected a ConfigException");
  }

  @Test
  void templatesAndDestinationsAreBoundByIndexInNumericOrder() {
    AgentConfig c =
        load(
            "muster.render.10.template = builtin:plain\n"
                + "muster.render.10.destination = "
                + dir.resolve("ten")
                + "\n"
                + "muster.render.2.template = builtin:elasticsearch\n"
                + "muster.render.2.destination = "
                + dir.resolve("two")
                + "\n"
                + "muster.render.1.template = builtin:rabbitmq\n"
                + "muster.render.1.destination = "
                + dir.resolve("one")
                + "\n");

    assertThat(c.config().get(RenderSettings.TEMPLATE))
        .containsExactly(
            Map.entry(1, "builtin:rabbitmq"),
            Map.entry(2, "builtin:elasticsearch"),
            Map.entry(10, "builtin:plain"));
    assertThat(c.config().get(RenderSettings.DESTINATION))
        .containsExactly(
            Map.entry(1, dir.resolve("one")),
            Map.entry(2, dir.resolve("two")),
            Map.entry(10, dir.resolve("ten")));
    assertThat(c.render().items())
        .extracting(RenderSettings.Item::index, RenderSettings.Item::templateName)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, "builtin:rabbitmq"),
            org.assertj.core.groups.Tuple.tuple(2, "builtin:elasticsearch"),
            org.assertj.core.groups.Tuple.tuple(10, "builtin:plain"));
  }

  @Test
  void noRenderKeysMeansNoItemsAndTheDocumentedDefaults() {
    RenderSettings r = load("").render();
    assertThat(r.items()).isEmpty();
    assertThat(r.quiescence()).isEqualTo(java.time.Duration.ofMillis(500));
    assertThat(r.timeout()).isEqualTo(java.time.Duration.ofSeconds(60));
  }

  @Test
  void commandIsSplitOnWhitespaceIntoArgumentsWithoutAShell() {
    RenderSettings r =
        load("muster.render.1.template = builtin:plain\n"
                + "muster.render.1.destination = "
                + dir.resolve("f")
                + "\n"
                + "muster.render.1.command = /usr/sbin/rabbitmqctl  eval 'x;y'\n")
            .render();
    assertThat(r.items().get(0).command())
        .contains(java.util.List.of("/usr/sbin/rabbitmqctl", "eval", "'x;y'"));
  }

  @Test
  void groupKeyCanBeSetFromTheEnvironment() {
    AgentConfig c =
        AgentConfig.fromText(
            "m.conf",
            base() + "muster.render.3.template = builtin:plain\n",
            Map.of("MUSTER__RENDER__3__DESTINATION", dir.resolve("env").toString()));
    assertThat(c.config().get(RenderSettings.DESTINATION))
        .containsExactly(Map.entry(3, dir.resolve("env")));
  }

  @Test
  void misspeltFieldIsReportedWithFileLineAndTheSameIndexSuggested() {
    ConfigProblem p = onlyProblem("muster.render.1.templat = builtin:plain\n");
    assertThat(p.origin()).isEqualTo("m.conf:3");
    assertThat(p.key()).isEqualTo("muster.render.1.templat");
    assertThat(p.toString())
        .startsWith("m.conf:3: muster.render.1.templat: unknown key")
        .contains("did you mean muster.render.1.template?");
  }

  @Test
  void misspeltFieldOfATwoDigitItemSuggestsThatItem() {
    ConfigProblem p = onlyProblem("muster.render.12.destinaton = /tmp/x\n");
    assertThat(p.message()).contains("did you mean muster.render.12.destination?");
  }

  @Test
  void misspeltPrefixSuggestsTheGroupKeyWithTheSameIndex() {
    ConfigProblem p = onlyProblem("muster.rendr.3.template = builtin:plain\n");
    assertThat(p.message()).contains("did you mean muster.render.3.template?");
  }

  @Test
  void groupKeyWithoutAnIndexIsUnknown() {
    ConfigProblem p = onlyProblem("muster.render.template = builtin:plain\n");
    assertThat(p.message()).startsWith("unknown key");
  }

  @Test
  void theLiteralPlaceholderNIsNotAnIndex() {
    ConfigProblem p = onlyProblem("muster.render.N.template = builtin:plain\n");
    assertThat(p.message()).startsWith("unknown key");
  }

  @Test
  void sameItemFieldTwiceIsADuplicate() {
    ConfigProblem p =
        onlyProblem(
            "muster.render.1.template = builtin:plain\nmuster.render.1.template = builtin:plain\n");
    assertThat(p.toString())
        .isEqualTo(
            "m.conf:4: muster.render.1.template: duplicate key (expected once; first set at m.conf:3)");
  }

  @Test
  void indexWrittenWithALeadingZeroIsTheSameItemAndReportedAsADuplicate() {
    ConfigProblem p =
        onlyProblem(
            "muster.render.1.template = builtin:plain\n"
                + "muster.render.01.template = builtin:rabbitmq\n"
                + "muster.render.1.destination = /tmp/x\n");
    assertThat(p.message()).contains("duplicate key");
  }

  @Test
  void destinationWithoutTemplateIsAnExitTwoProblemAtTheDestinationsLine() throws Exception {
    String line = "muster.render.4.destination = " + dir.resolve("x") + "\n";
    ConfigProblem p = onlyProblem(line);
    assertThat(p.origin()).isEqualTo("m.conf:3");
    assertThat(p.message()).isEqualTo("expected muster.render.4.template as well (what to render)");

    Path conf = dir.resolve("m.conf");
    java.nio.file.Files.writeString(conf, base() + line);
    assertThat(io.muster.cli.Main.execute("validate", "--config", conf.toString()))
        .isEqualTo(ConfigException.EXIT_CODE)
        .isEqualTo(2);
  }

  @Test
  void incompleteSecondItemIsReportedAtItsOwnLine() {
    ConfigProblem p =
        onlyProblem(
            "muster.render.1.template = builtin:plain\n"
                + "muster.render.1.destination = /tmp/one\n"
                + "muster.render.2.destination = /tmp/two\n");
    assertThat(p.toString())
        .isEqualTo(
            "m.conf:5: muster.render.2.destination: expected muster.render.2.template as well"
                + " (what to render)");
  }

  @Test
  void templateWithoutDestinationIsAProblem() {
    ConfigProblem p = onlyProblem("muster.render.1.template = builtin:plain\n");
    assertThat(p.message()).contains("muster.render.1.destination as well");
  }

  @Test
  void commandWithoutTemplateIsAProblem() {
    ConfigProblem p = onlyProblem("muster.render.2.command = /bin/true\n");
    assertThat(p.message()).contains("muster.render.2.template as well");
  }

  @Test
  void unknownBuiltinTemplateIsAProblemNamingTheBuiltins() {
    ConfigProblem p =
        onlyProblem(
            "muster.render.1.template = builtin:nginx\nmuster.render.1.destination = /tmp/x\n");
    assertThat(p.message())
        .contains("builtin:rabbitmq")
        .contains("builtin:elasticsearch")
        .contains("builtin:plain")
        .contains("got builtin:nginx");
  }

  @Test
  void blankCommandIsAProblemAtLoad() {
    ConfigProblem p =
        onlyProblem(
            "muster.render.1.template = builtin:plain\n"
                + "muster.render.1.destination = /tmp/x\n"
                + "muster.render.1.command = \" \"\n");
    assertThat(p.key()).startsWith("muster.render.");
  }
}
