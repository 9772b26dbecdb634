package io.muster.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MarkerTest {

  private static final NodeName SEED = NodeName.parse("rabbit@node1");

  @Test
  void formingAndFormedMarkersRoundTripThroughTheirStoredJson() {
    for (Marker m :
        List.of(
            new Marker.Forming(SEED, "c-1"),
            new Marker.Formed(SEED, "c-1", Instant.parse("2026-11-22T01:02:03Z")))) {
      assertThat(Marker.fromJson("k", m.toJson())).isEqualTo(m);
    }
  }

  @Test
  void garbageIsAnErrorNamingTheKeyNeverNoMarker() {
    for (String garbage :
        List.of(
            "",
            "{}",
            "not json",
            "{\"state\":\"formed\",\"seed\":\"rabbit@a\",\"cluster_id\":\"c\"}",
            "{\"state\":\"forming\",\"seed\":\"x; rm -rf /\",\"cluster_id\":\"c\"}")) {
      assertThatThrownBy(() -> Marker.fromJson("/some/key", garbage))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("/some/key")
          .hasMessageContaining("unreadable");
    }
  }

  @Test
  void noneIsTheAbsenceOfAMarkerAndCannotBeStored() {
    assertThatThrownBy(() -> new Marker.None().toJson())
        .isInstanceOf(IllegalArgumentException.class);
  }
}
