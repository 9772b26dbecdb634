package io.muster.formation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19: the peer port's signatures refuse forged, unsigned, replayed and stale probes. */
class PeerAuthTest {

  private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
  private static final String NODE = "rabbit@10.0.0.1";

  @TempDir Path tmp;

  private PeerAuth auth(String secret) {
    return new PeerAuth(secret.getBytes(StandardCharsets.UTF_8));
  }

  private static String check(PeerAuth a, Map<String, String> h, String node, Instant now) {
    return a.checkRequest(
            "GET",
            "/v1/node",
            node,
            h.get(PeerAuth.TIME_HEADER),
            h.get(PeerAuth.NONCE_HEADER),
            h.get(PeerAuth.SIGNATURE_HEADER),
            now)
        .orElse("ok");
  }

  @Test
  void aSignedFreshProbeIsAcceptedOnceAndItsReplayIsRefused() {
    PeerAuth a = auth("a cookie of twenty chars");
    Map<String, String> h = a.signRequest("GET", "/v1/node", NODE, NOW);
    assertThat(check(a, h, NODE, NOW.plusSeconds(1))).isEqualTo("ok");
    assertThat(check(a, h, NODE, NOW.plusSeconds(2))).startsWith("replayed");
  }

  @Test
  void aProbeSignedWithAnotherSecretOrForAnotherNodeIsForged() {
    PeerAuth a = auth("a cookie of twenty chars");
    Map<String, String> other =
        auth("another secret, 20+ ch").signRequest("GET", "/v1/node", NODE, NOW);
    assertThat(check(a, other, NODE, NOW)).contains("signature does not match");
    Map<String, String> mine = a.signRequest("GET", "/v1/node", NODE, NOW);
    assertThat(check(a, mine, "rabbit@10.0.0.9", NOW)).contains("signature does not match");
    assertThat(a.remembered()).as("forged probes fill no nonce cache").isZero();
  }

  @Test
  void anUnsignedProbeIsRefused() {
    PeerAuth a = auth("a cookie of twenty chars");
    assertThat(check(a, Map.of(), NODE, NOW)).startsWith("unsigned");
  }

  @Test
  void aProbeOutsideTheClockWindowIsStaleEitherWay() {
    PeerAuth a = auth("a cookie of twenty chars");
    Map<String, String> old = a.signRequest("GET", "/v1/node", NODE, NOW.minusSeconds(31));
    assertThat(check(a, old, NODE, NOW)).startsWith("stale");
    Map<String, String> ahead = a.signRequest("GET", "/v1/node", NODE, NOW.plusSeconds(31));
    assertThat(check(a, ahead, NODE, NOW)).startsWith("stale");
    Map<String, String> edge = a.signRequest("GET", "/v1/node", NODE, NOW.minusSeconds(29));
    assertThat(check(a, edge, NODE, NOW)).isEqualTo("ok");
  }

  @Test
  void anAnswerCountsOnlyForTheProbeItWasSignedForAndUnchanged() {
    PeerAuth a = auth("a cookie of twenty chars");
    byte[] body = "{\"node\":\"rabbit@10.0.0.2\"}".getBytes(StandardCharsets.UTF_8);
    String sig = a.signAnswer("nonce-1", 200, body);
    assertThat(a.checkAnswer("nonce-1", 200, body, sig)).isTrue();
    assertThat(a.checkAnswer("nonce-2", 200, body, sig)).as("replayed answer").isFalse();
    byte[] changed = "{\"node\":\"rabbit@10.0.0.3\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(a.checkAnswer("nonce-1", 200, changed, sig)).as("changed body").isFalse();
    assertThat(a.checkAnswer("nonce-1", 200, body, null)).as("unsigned answer").isFalse();
    assertThat(auth("another secret, 20+ ch").checkAnswer("nonce-1", 200, body, sig)).isFalse();
  }

  @Test
  void theSecretFileMustBeReadableAndLongEnoughAndItsTrailingNewlineIsNotPartOfIt()
      throws Exception {
    Path cookie = tmp.resolve("cookie");
    Files.writeString(cookie, "a cookie of twenty chars\n");
    PeerAuth fromFile = PeerAuth.load(cookie, "m.conf:3", "muster.peer.secret_file");
    Map<String, String> h =
        auth("a cookie of twenty chars").signRequest("GET", "/v1/node", NODE, NOW);
    assertThat(check(fromFile, h, NODE, NOW)).isEqualTo("ok");
    assertThat(fromFile.toString()).doesNotContain("cookie of");

    Files.writeString(cookie, "short\n");
    assertThatThrownBy(() -> PeerAuth.load(cookie, "m.conf:3", "muster.peer.secret_file"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("m.conf:3: muster.peer.secret_file")
        .hasMessageContaining("at least 16 bytes")
        .hasMessageNotContaining("short");
    assertThatThrownBy(
            () -> PeerAuth.load(tmp.resolve("absent"), "m.conf:3", "muster.peer.secret_file"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cannot be read");
  }
}
