package io.muster.backend.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.backend.k8s.TerminatingPods.Verdict;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What one pod GET's answer means for the address the Endpoints list for that pod. */
class TerminatingPodsTest {

  private static String pod(String uid, boolean deleting) {
    JsonObject meta = new JsonObject().put("name", "rabbitmq-2").put("uid", uid);
    if (deleting) {
      meta.put("deletionTimestamp", "2026-01-01T00:00:00Z");
    }
    return new JsonObject().put("kind", "Pod").put("metadata", meta).encode();
  }

  static Stream<Arguments> answers() {
    return Stream.of(
        Arguments.of("a running pod is a peer", 200, pod("u1", false), "u1", new Verdict.Live()),
        Arguments.of(
            "a pod being deleted is terminating",
            200,
            pod("u1", true),
            "u1",
            new Verdict.NotPeer("terminating")),
        Arguments.of(
            "Endpoints without a uid compare none",
            200,
            pod("u1", true),
            "",
            new Verdict.NotPeer("terminating")),
        Arguments.of(
            "another pod of the same name means the listed one is gone",
            200,
            pod("u2", false),
            "u1",
            new Verdict.NotPeer("pod gone")),
        Arguments.of("404 means the pod is gone", 404, "{}", "u1", new Verdict.NotPeer("pod gone")),
        Arguments.of("403 means RBAC refuses pods", 403, "{}", "u1", new Verdict.Refused()),
        Arguments.of(
            "another status is not known", 500, "{}", "u1", new Verdict.Unknown("HTTP 500")),
        Arguments.of(
            "an unreadable answer is not known",
            200,
            "<html>",
            "u1",
            new Verdict.Unknown("unreadable answer")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("answers")
  void aPodAnswerDecidesWhetherItsAddressIsAPeer(
      String name, int status, String body, String uid, Verdict expected) {
    assertThat(TerminatingPods.verdict(status, body, uid)).isEqualTo(expected);
  }
}
