package io.muster.formation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.spi.Formats;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every wire and stored format carries a version, and agents of adjacent releases read each other
 * (formation.md): the golden files under {@code src/test/resources/formats/} hold the previous
 * release's formats ({@code 0/}, no version) and this release's ({@code 1/}). This release reads
 * both and writes exactly {@code 1/}.
 */
class FormatsGoldenTest {

  private static final NodeName A = NodeName.parse("rabbit@10.0.0.1");
  private static final NodeName B = NodeName.parse("rabbit@10.0.0.2");
  private static final Instant STARTED = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant FORMED = Instant.parse("2026-01-01T00:01:00Z");

  private static final NodeInfo FORMED_INFO =
      new NodeInfo(A, NodeState.FORMED, "c1", Set.of(A, B), STARTED, FORMED, Set.of(A, B));
  private static final NodeInfo BOOTING_INFO =
      new NodeInfo(B, NodeState.BOOTING, null, Set.of(), STARTED, null, Set.of(A, B));
  private static final Marker FORMING = new Marker.Forming(A, "c1");
  private static final Marker FORMED_MARKER = new Marker.Formed(A, "c1", FORMED);
  private static final Membership RECORD = new Membership(A, "c1", Set.of(A, B), FORMED);

  @TempDir Path tmp;

  private static String golden(int version, String name) throws Exception {
    Path p = Path.of("src", "test", "resources", "formats", Integer.toString(version), name);
    return Files.readString(p);
  }

  @Test
  void thePreviousAndTheCurrentFormatsAreBothRead() throws Exception {
    for (int v = Formats.OLDEST_READ; v <= Formats.CURRENT; v++) {
      assertThat(
              NodeInfo.fromJson(
                  new JsonObject(golden(v, "node-info-formed.json")), new ArrayList<>()))
          .as("format %d", v)
          .isEqualTo(FORMED_INFO);
      assertThat(
              NodeInfo.fromJson(
                  new JsonObject(golden(v, "node-info-booting.json")), new ArrayList<>()))
          .isEqualTo(BOOTING_INFO);
      assertThat(Marker.fromJson("k", golden(v, "marker-forming.json"))).isEqualTo(FORMING);
      assertThat(Marker.fromJson("k", golden(v, "marker-formed.json"))).isEqualTo(FORMED_MARKER);
      Path dir = tmp.resolve("v" + v);
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("membership.json"), golden(v, "membership.json"));
      assertThat(new MembershipStore(dir).read()).contains(RECORD);
    }
  }

  @Test
  void thisReleaseWritesExactlyTheCurrentFormat() throws Exception {
    int v = Formats.CURRENT;
    assertThat(FORMED_INFO.toJson()).isEqualTo(new JsonObject(golden(v, "node-info-formed.json")));
    assertThat(BOOTING_INFO.toJson())
        .isEqualTo(new JsonObject(golden(v, "node-info-booting.json")));
    assertThat(new JsonObject(FORMING.toJson()))
        .isEqualTo(new JsonObject(golden(v, "marker-forming.json")));
    assertThat(new JsonObject(FORMED_MARKER.toJson()))
        .isEqualTo(new JsonObject(golden(v, "marker-formed.json")));
    MembershipStore store = new MembershipStore(tmp);
    store.write(RECORD);
    assertThat(Files.readString(store.file())).isEqualTo(golden(v, "membership.json").strip());
  }

  /**
   * {@code knows_of} is optional and written only when an agent knows of a cluster it is not a
   * member of: the answers above stay byte for byte what an agent of the previous format wrote, and
   * an older agent reading this one ignores the field.
   */
  @Test
  void theClustersAnAgentKnowsOfAreAnOptionalFieldOfTheCurrentFormat() throws Exception {
    NodeInfo knowing =
        new NodeInfo(
            B, NodeState.BOOTING, null, Set.of(), STARTED, null, Set.of(A, B), Set.of("c1"));
    JsonObject golden = new JsonObject(golden(Formats.CURRENT, "node-info-knows-of.json"));
    assertThat(knowing.toJson()).isEqualTo(golden);
    assertThat(NodeInfo.fromJson(golden, new ArrayList<>())).isEqualTo(knowing);
    assertThat(BOOTING_INFO.toJson().containsKey("knows_of")).isFalse();
    assertThatThrownBy(
            () -> NodeInfo.fromJson(golden.copy().put("knows_of", List.of("")), new ArrayList<>()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("knows_of");
  }

  @Test
  void aNewerAdjacentFormatWithFieldsThisReleaseDoesNotKnowIsReadToo() throws Exception {
    JsonObject next =
        new JsonObject(golden(Formats.CURRENT, "node-info-formed.json"))
            .put(Formats.FIELD, Formats.CURRENT + 1)
            .put("signature", "a field of the next release");
    assertThat(NodeInfo.fromJson(next, new ArrayList<>())).isEqualTo(FORMED_INFO);
    String marker =
        new JsonObject(golden(Formats.CURRENT, "marker-formed.json"))
            .put(Formats.FIELD, Formats.CURRENT + 1)
            .put("retired", false)
            .encode();
    assertThat(Marker.fromJson("k", marker)).isEqualTo(FORMED_MARKER);
  }

  @Test
  void aVersionThatIsNotAWholeNumberIsUnreadableNeverIgnored() throws Exception {
    String marker =
        new JsonObject(golden(Formats.CURRENT, "marker-formed.json"))
            .put(Formats.FIELD, "x")
            .encode();
    assertThatThrownBy(() -> Marker.fromJson("k", marker))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unreadable");
    // the value is shown (quoted, cut to 80 characters, control characters escaped): issue 20
    assertThatThrownBy(() -> Marker.fromJson("k", "garbage\nINFO forged"))
        .hasMessageContaining("it holds \"garbage\\u000aINFO forged\"")
        .hasMessageNotContaining("\n");
    Files.writeString(
        tmp.resolve("membership.json"),
        new JsonObject(golden(Formats.CURRENT, "membership.json")).put(Formats.FIELD, -1).encode());
    assertThatThrownBy(() -> new MembershipStore(tmp).read())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("format -1");
  }
}
