package io.muster.backend.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentConfig;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.muster.testing.BackendUnderTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Muster's reading of Consul's answers as HashiCorp renders them for Consul's own UI tests (see
 * {@link ApiDouble}): instances on several nodes, Meta present, other or absent, many checks of
 * every type and status, and KV values that are not Muster's. The expectations come from the
 * rendered bodies themselves by Consul's documented rules, not from what Muster answers.
 */
class ConsulApiDoubleIT {

  private static final long SEED = 1796;

  private static String conf(ApiDouble d, String extra) {
    return ConsulAgents.backendConf(d.address(), extra);
  }

  /** Consul's rule for an instance: it is healthy when every check passes (or warns, if asked). */
  private static String expectedDrop(JsonObject entry, boolean warnings) {
    for (Object c : entry.getJsonArray("Checks")) {
      JsonObject check = (JsonObject) c;
      String status = check.getString("Status");
      if (!"passing".equals(status) && !(warnings && "warning".equals(status))) {
        return "rabbit@"
            + entry.getJsonObject("Service").getString("Address")
            + ": check '"
            + check.getString("CheckID")
            + "' is "
            + status;
      }
    }
    return null;
  }

  @Test
  void healthAnswersAreReadByConsulsRulesAndWhatIsDroppedSaysWhy() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (ApiDouble d = ApiDouble.start(SEED)) {
      for (boolean warnings : List.of(false, true)) {
        JsonArray body = new JsonArray(d.get("/v1/health/service/rabbitmq"));
        assertThat(body).as("rendered instances").isNotEmpty();
        ConsulSettings s =
            ConsulSettings.from(
                AgentConfig.fromText(
                        "c.conf",
                        conf(
                            d,
                            "cluster_formation.consul.include_nodes_with_warnings = "
                                + warnings
                                + "\n"),
                        Map.of())
                    .config(),
                NodeName.parse("rabbit@node1"));
        ConsulBackend backend = new ConsulBackend(s, NodeName.parse("rabbit@node1"), vertx);
        DiscoveryResult.Peers peers = backend.peers(body);
        backend.close();
        List<String> expectedDropped = new ArrayList<>();
        List<String> expectedNodes = new ArrayList<>();
        for (Object o : body) {
          JsonObject e = (JsonObject) o;
          String why = expectedDrop(e, warnings);
          if (why != null) {
            expectedDropped.add(why);
          } else {
            expectedNodes.add("rabbit@" + e.getJsonObject("Service").getString("Address"));
          }
        }
        assertThat(peers.dropped()).containsExactlyInAnyOrderElementsOf(expectedDropped);
        assertThat(peers.nodes())
            .extracting(NodeName::toString)
            .containsExactlyInAnyOrderElementsOf(expectedNodes);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Through the whole HTTP path: HashiCorp's templates give every instance critical checks (its
   * first two), so nothing is usable; the answer is a peer list that says so, never a parse error.
   */
  @Test
  void aDiscoveryOverHttpParsesTheAnswerAndDropsEveryCriticalInstance() throws Exception {
    try (ApiDouble d = ApiDouble.start(SEED)) {
      DiscoveryResult r = BackendUnderTest.discoverOnce(conf(d, ""), Duration.ofSeconds(20));
      assertThat(r).as("%s", r).isInstanceOf(DiscoveryResult.Peers.class);
      DiscoveryResult.Peers peers = (DiscoveryResult.Peers) r;
      assertThat(peers.nodes()).isEmpty();
      assertThat(peers.rejected()).isEmpty();
      assertThat(peers.dropped())
          .isNotEmpty()
          .allSatisfy(
              why ->
                  assertThat(why)
                      .matches("rabbit@\\d+\\.\\d+\\.\\d+\\.\\d+: check '[^']+' is critical"));
    }
  }

  /** A KV value that is not a marker (the double's is a date) is refused, naming key and value. */
  @Test
  void aMarkerKeyHoldingSomethingElseIsRefusedNamingKeyAndValue() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (ApiDouble d = ApiDouble.start(SEED)) {
      ConsulSettings s =
          ConsulSettings.from(
              AgentConfig.fromText("c.conf", conf(d, ""), Map.of()).config(),
              NodeName.parse("rabbit@node1"));
      ConsulHttp http = new ConsulHttp(s, vertx);
      assertThatThrownBy(
              () ->
                  new ConsulMarkers(http, s).read().toCompletableFuture().get(20, TimeUnit.SECONDS))
          .hasRootCauseInstanceOf(IllegalStateException.class)
          .rootCause()
          .hasMessageContaining("rabbitmq/default/formation is unreadable")
          .hasMessageMatching("(?s).*it holds \"[^\"]+\".*");
      http.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
