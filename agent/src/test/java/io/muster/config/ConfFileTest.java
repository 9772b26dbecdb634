package io.muster.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfFileTest {

  @Test
  void readsKeysValuesCommentsAndQuotes() {
    List<ConfEntry> entries =
        ConfFile.parse(
            "f.conf",
            """
            # a comment
              cluster_formation.peer_discovery_backend = classic_config   # trailing comment

            cluster_formation.consul.acl_token = 'se#cret'
            muster.node_name=rabbit@a
            """);
    assertThat(entries)
        .containsExactly(
            new ConfEntry("cluster_formation.peer_discovery_backend", "classic_config", "f.conf:2"),
            new ConfEntry("cluster_formation.consul.acl_token", "se#cret", "f.conf:4"),
            new ConfEntry("muster.node_name", "rabbit@a", "f.conf:5"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "cluster_formation.peer_discovery_backend classic_config | f.conf:1: missing '=' (expected key = value)",
        "= value | f.conf:1: missing key before '=' (expected key = value)",
        "cluster_formation.x = | f.conf:1: cluster_formation.x: missing value after '=' (expected a value, or quotes around a blank)",
        "a..b = c | f.conf:1: malformed key \"a..b\" (expected dot-separated words of letters, digits, '_' and '-')",
        "a = 'open | f.conf:1: a: unterminated quoted value (expected a closing ')",
        "a = 'x' y | f.conf:1: a: unexpected text after the quoted value (expected at most a # comment)"
      })
  void reportsMalformedLinesWithFileAndLine(String line, String message) {
    assertThatThrownBy(() -> ConfFile.parse("f.conf", line))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void reportsEveryMalformedLineNotOnlyTheFirst() {
    assertThatThrownBy(() -> ConfFile.parse("f.conf", "a\nb = 1\nc\n"))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .extracting(ConfigProblem::origin)
                    .containsExactly("f.conf:1", "f.conf:3"));
  }
}
