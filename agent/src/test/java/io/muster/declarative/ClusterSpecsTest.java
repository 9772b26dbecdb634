package io.muster.declarative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.declarative.ClusterSpec.Comparison;
import io.muster.declarative.ClusterSpec.FromNode;
import io.muster.declarative.ClusterSpec.NodeType;
import io.muster.declarative.ClusterSpec.Reset;
import io.muster.declarative.ClusterSpecs.InvalidSpecException;
import io.muster.spi.NodeName;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a Clusterer config in its three forms, and the rules between two versions. */
class ClusterSpecsTest {

  private static final NodeName A = NodeName.parse("rabbit@hostA");
  private static final NodeName B = NodeName.parse("rabbit@hostB");
  private static final NodeName D = NodeName.parse("rabbit@hostD");

  /** The Clusterer README's example, verbatim. */
  private static final String README_TERMS =
      "[{version, 43},\n"
          + " {nodes, [{rabbit@hostA, disc}, {rabbit@hostB, ram}, {rabbit@hostD, disc}]},\n"
          + " {gospel, {node, rabbit@hostD}}].\n";

  private static ClusterSpec readme() {
    return new ClusterSpec(
        43,
        new TreeMap<>(Map.of(A, NodeType.DISC, B, NodeType.RAM, D, NodeType.DISC)),
        new FromNode(D));
  }

  @Test
  void theClusterersOwnFormatIsReadAsItsReadmeWritesIt() throws Exception {
    assertThat(ClusterSpecs.fromTerms(README_TERMS, "cluster.config")).isEqualTo(readme());
    // every equivalent form the README lists for the nodes tuple
    for (String nodes :
        new String[] {
          "[rabbit@hostA, rabbit@hostD, {rabbit@hostB, ram}]",
          "[{rabbit@hostB, ram}, rabbit@hostD, rabbit@hostA]",
          "[rabbit@hostA, {rabbit@hostD, disk}, {rabbit@hostB, ram}]",
          "[{rabbit@hostA, disc}, {rabbit@hostD, disk}, {rabbit@hostB, ram}]"
        }) {
      String text =
          "% a comment\n[{version, 43}, {nodes, " + nodes + "}, {gospel, {node, rabbit@hostD}}].";
      assertThat(ClusterSpecs.parse(text, "f")).as(nodes).isEqualTo(readme());
    }
    assertThat(
            ClusterSpecs.fromTerms(
                    "[{version, 2}, {nodes, ['rabbit@host-a.example.com']}, {gospel, reset}].", "f")
                .gospel())
        .isEqualTo(new Reset());
  }

  @Test
  void theClusterersRabbitmqConfKeysAndMustersJsonGiveTheSameSpec() throws Exception {
    Map<String, String> keys =
        Map.of(
            "clusterer.version", "43",
            "clusterer.nodes.disc.1", "rabbit@hostA",
            "clusterer.nodes.disc.2", "rabbit@hostD",
            "clusterer.nodes.ram.1", "rabbit@hostB",
            "clusterer.gospel.node", "rabbit@hostD");
    assertThat(ClusterSpecs.fromKeys(keys, "rabbitmq.conf")).isEqualTo(readme());
    String json = readme().toJson().encode();
    assertThat(ClusterSpecs.parse(json, "f")).isEqualTo(readme());
    assertThat(
            ClusterSpecs.fromKeys(
                    Map.of(
                        "clusterer.version", "7",
                        "clusterer.nodes.1", "rabbit@hostA",
                        "clusterer.gospel", "reset"),
                    "c")
                .describe())
        .isEqualTo("version 7: rabbit@hostA (disc); gospel reset");
  }

  @Test
  void mistakesAreNamedWithWhereAndWhatWasExpected() {
    assertError("[{version, 43}, {nodes, [rabbit@hostA]}, {gospel, reset}]", "expected a dot");
    assertError(
        "[{version, 4}, {nodes, [rabbit@host-a]}, {gospel, reset}].",
        "line 1, column 36: a plain atom cannot hold '-'");
    assertError(
        "[{version, 4},\n {nodes, [rabbit@a]},\n {gospel, {node, rabbit@b}}].",
        "gospel names rabbit@b, which nodes does not list");
    assertError("[{version, 4}, {nodes, [{rabbit@a, ram}]}, {gospel, reset}].", "no disc node");
    assertError("[{version, 0}, {nodes, [rabbit@a]}, {gospel, reset}].", "version 1 or greater");
    assertError(
        "[{version, 4}, {nodes, [rabbit@a]}, {gospel, reset}, {colour, blue}].",
        "line 1: expected version, nodes or gospel, found colour");
    assertError("[{version, 4}, {nodes, [rabbit@a, rabbit@a]}, {gospel, reset}].", "twice");
    assertError("[{version, 4}, {nodes, [rabbit@a]}].", "no gospel");
    assertThatThrownBy(
            () ->
                ClusterSpecs.fromKeys(
                    Map.of(
                        "clusterer.version", "1",
                        "clusterer.nodes.1", "rabbit@a",
                        "clusterer.gospel", "reset",
                        "clusterer.gospel.node", "rabbit@a"),
                    "c.conf"))
        .hasMessageContaining("both set");
    assertThatThrownBy(
            () ->
                ClusterSpecs.fromKeys(
                    Map.of("clusterer.version", "1", "clusterer.nodes.x.1", "rabbit@a"), "c.conf"))
        .hasMessageContaining("c.conf: clusterer.nodes.x.1: expected clusterer.version");
  }

  private static void assertError(String terms, String expected) {
    assertThatThrownBy(() -> ClusterSpecs.fromTerms(terms, "cluster.config"))
        .isInstanceOf(InvalidSpecException.class)
        .hasMessageStartingWith("cluster.config")
        .hasMessageContaining(expected);
  }

  @Test
  void theYoungestVersionWinsAndEqualVersionsMustAgree() throws Exception {
    ClusterSpec v43 = readme();
    ClusterSpec v44 =
        ClusterSpecs.fromTerms(README_TERMS.replace("43", "44"), "f"); // same shape, younger
    ClusterSpec other43 =
        ClusterSpecs.fromTerms(README_TERMS.replace("{rabbit@hostB, ram}", "rabbit@hostB"), "f");
    assertThat(v43.compare(v44)).isEqualTo(Comparison.YOUNGER);
    assertThat(v44.compare(v43)).isEqualTo(Comparison.OLDER);
    assertThat(v43.compare(readme())).isEqualTo(Comparison.SAME);
    assertThat(v43.compare(other43)).isEqualTo(Comparison.CONFLICT);
  }

  @Test
  void theStoreKeepsTheSpecAcrossRestartsAndRefusesAnUnreadableOne(@TempDir Path dir)
      throws Exception {
    SpecStore store = new SpecStore(dir);
    assertThat(store.load()).isEmpty();
    store.store(readme());
    assertThat(new SpecStore(dir).load()).contains(readme());
    assertThat(java.nio.file.Files.getPosixFilePermissions(store.file()))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    java.nio.file.Files.writeString(store.file(), "{\"version\": 3");
    assertThatThrownBy(store::load)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(store.file().toString())
        .hasMessageContaining("move it away");
  }
}
