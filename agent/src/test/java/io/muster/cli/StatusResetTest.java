package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * Issue 23, gospel reset of a running cluster: {@code muster status} says what comes next while
 * muster exec resets a formed node, and {@code --check} fails while a formed node waits for an
 * operator to reset it (no muster exec that can).
 */
class StatusResetTest {

  private static JsonObject status(String phase, String waitingFor) {
    return new JsonObject()
        .put(
            "formation",
            new JsonObject()
                .put("phase", phase)
                .put("state", "formed")
                .put("decision", new JsonObject().put("action", "rejoin").put("seed", "rabbit@b"))
                .put("waiting_for", waitingFor))
        .put("discovery", new JsonObject().put("stale", false));
  }

  @Test
  void aFormedNodeWaitingForAnOperatorsResetFailsTheCheckAndSaysWhy() {
    JsonObject s =
        status(
            "formed",
            "an operator: cluster config version 2 has gospel reset, which resets every node");
    assertThat(StatusCommand.problems(s))
        .containsExactly(
            "to be reset: waiting for an operator: cluster config version 2 has gospel reset,"
                + " which resets every node");
    assertThat(StatusCommand.next(s)).startsWith("waiting for an operator: cluster config");
  }

  @Test
  void aNodeBeingResetByMusterExecSaysWhatComesNext() {
    JsonObject s = status("resetting", "the node to be stopped and its data reset (...)");
    assertThat(StatusCommand.next(s))
        .isEqualTo(
            "muster exec stops the node and resets its data; then a new decision, as a fresh"
                + " node");
  }

  @Test
  void aFormedNodeWithNothingToWaitForHasNoProblem() {
    assertThat(StatusCommand.problems(status("formed", null))).isEmpty();
    assertThat(StatusCommand.next(status("formed", null)))
        .isEqualTo("keep the peer list fresh; nothing to do");
  }
}
