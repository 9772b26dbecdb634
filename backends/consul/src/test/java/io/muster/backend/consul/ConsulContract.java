package io.muster.backend.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Consul behaviours the backend relies on, as plain HTTP exchanges. Run against the emulator
 * always ({@link ConsulEmulatorContractIT}) and against a real Consul when {@code CONSUL_HTTP_ADDR}
 * is set ({@link RealConsulContractIT}), so the emulator is checked against the real thing wherever
 * one is available.
 */
abstract class ConsulContract {

  /** The Consul under test. */
  abstract RawConsul consul();

  private final String id = UUID.randomUUID().toString().substring(0, 8);

  private String session(String behavior) throws Exception {
    RawConsul.Answer a =
        consul()
            .put(
                "/v1/session/create",
                "{\"Name\":\"contract-"
                    + id
                    + "\",\"TTL\":\"10s\",\"Behavior\":\""
                    + behavior
                    + "\",\"LockDelay\":\"0s\"}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return new JsonObject(a.body()).getString("ID");
  }

  @Test
  void sessionTtlBelowTenSecondsIsRejected() throws Exception {
    RawConsul.Answer a = consul().put("/v1/session/create", "{\"TTL\":\"3s\"}");
    assertThat(a.status()).isEqualTo(500);
    assertThat(a.body()).contains("Session TTL");
  }

  @Test
  void acquireIsExclusiveAndReleaseFreesIt() throws Exception {
    String s1 = session("release");
    String s2 = session("release");
    String key = "/v1/kv/contract/" + id + "/lock";
    assertThat(consul().put(key + "?acquire=" + s1, "one").body()).isEqualTo("true");
    assertThat(consul().put(key + "?acquire=" + s2, "two").body()).isEqualTo("false");
    JsonObject held = new JsonArray(consul().get(key).body()).getJsonObject(0);
    assertThat(held.getString("Session")).isEqualTo(s1);
    assertThat(consul().put(key + "?release=" + s2, null).body()).isEqualTo("false");
    assertThat(consul().put(key + "?release=" + s1, null).body()).isEqualTo("true");
    assertThat(consul().put(key + "?acquire=" + s2, "two").body()).isEqualTo("true");
    consul().put("/v1/session/destroy/" + s1, null);
    consul().put("/v1/session/destroy/" + s2, null);
  }

  @Test
  void casZeroCreatesOnlyOnceAndCasOnTheIndexReplaces() throws Exception {
    String key = "/v1/kv/contract/" + id + "/cas";
    assertThat(consul().put(key + "?cas=0", "a").body()).isEqualTo("true");
    assertThat(consul().put(key + "?cas=0", "b").body()).isEqualTo("false");
    long modify = new JsonArray(consul().get(key).body()).getJsonObject(0).getLong("ModifyIndex");
    assertThat(consul().put(key + "?cas=" + modify, "c").body()).isEqualTo("true");
    assertThat(consul().delete(key + "?cas=" + modify).body()).isEqualTo("false");
  }

  @Test
  void blockingQueryOnAKeyReturnsWhenItChanges() throws Exception {
    String key = "/v1/kv/contract/" + id + "/watched";
    consul().put(key, "v1");
    long index = consul().get(key).index();
    CompletableFuture<RawConsul.Answer> blocked =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return consul().get(key + "?index=" + index + "&wait=20s");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    // The blocked GET must stay blocked until the write below, not return early or on its wait.
    await()
        .during(Duration.ofMillis(300))
        .atMost(Timing.scaled(Duration.ofSeconds(2)))
        .until(() -> !blocked.isDone());
    consul().put(key, "v2");
    RawConsul.Answer changed = blocked.get(10, TimeUnit.SECONDS);
    assertThat(changed.index()).isGreaterThan(index);
  }

  @Test
  void passingUnknownCheckIs404AndCriticalInstancesAreFilteredByPassing() throws Exception {
    assertThat(consul().put("/v1/agent/check/pass/service:nope-" + id, null).status())
        .isEqualTo(404);
    String svc = "contract-" + id;
    consul()
        .put(
            "/v1/agent/service/register",
            "{\"ID\":\""
                + svc
                + "\",\"Name\":\""
                + svc
                + "\",\"Check\":{\"CheckID\":\"service:"
                + svc
                + "\",\"TTL\":\"60s\",\"Status\":\"critical\"}}");
    assertThat(new JsonArray(consul().get("/v1/health/service/" + svc).body())).hasSize(1);
    assertThat(new JsonArray(consul().get("/v1/health/service/" + svc + "?passing").body()))
        .isEmpty();
    assertThat(consul().put("/v1/agent/check/pass/service:" + svc, null).status()).isEqualTo(200);
    assertThat(new JsonArray(consul().get("/v1/health/service/" + svc + "?passing").body()))
        .hasSize(1);
    consul().put("/v1/agent/service/deregister/" + svc, null);
  }

  @Test
  void lockDelayKeepsAReleasedKeyFromBeingAcquiredAgainAtOnce() throws Exception {
    RawConsul.Answer created =
        consul()
            .put(
                "/v1/session/create",
                "{\"Name\":\"contract-delay-" + id + "\",\"TTL\":\"10s\",\"LockDelay\":\"5s\"}");
    String holder = new JsonObject(created.body()).getString("ID");
    String other = session("release");
    String key = "/v1/kv/contract/" + id + "/delayed";
    assertThat(consul().put(key + "?acquire=" + holder, "x").body()).isEqualTo("true");
    consul().put("/v1/session/destroy/" + holder, null); // an invalidation: lock-delay applies
    JsonObject released = new JsonArray(consul().get(key).body()).getJsonObject(0);
    assertThat(released.containsKey("Session")).as("released, not deleted").isFalse();
    assertThat(consul().put(key + "?acquire=" + other, "y").body()).isEqualTo("false");
    consul().put("/v1/session/destroy/" + other, null);
  }

  @Test
  void txnLocksOnlyWhenTheKeyIsUnchangedAndUnlockWithAValueLeavesItUnheld() throws Exception {
    String s1 = session("delete");
    String key = "contract/" + id + "/txn";
    String lockIfAbsent =
        "[{\"KV\":{\"Verb\":\"check-not-exists\",\"Key\":\""
            + key
            + "\"}},"
            + "{\"KV\":{\"Verb\":\"lock\",\"Key\":\""
            + key
            + "\",\"Value\":\"YQ==\","
            + "\"Session\":\""
            + s1
            + "\"}}]";
    assertThat(consul().put("/v1/txn", lockIfAbsent).status()).isEqualTo(200);
    RawConsul.Answer again = consul().put("/v1/txn", lockIfAbsent);
    assertThat(again.status()).isEqualTo(409);
    assertThat(
            new JsonObject(again.body())
                .getJsonArray("Errors")
                .getJsonObject(0)
                .getInteger("OpIndex"))
        .isZero();
    String unlock =
        "[{\"KV\":{\"Verb\":\"check-session\",\"Key\":\""
            + key
            + "\",\"Session\":\""
            + s1
            + "\"}},{\"KV\":{\"Verb\":\"unlock\",\"Key\":\""
            + key
            + "\",\"Value\":\"Yg==\","
            + "\"Session\":\""
            + s1
            + "\"}}]";
    assertThat(consul().put("/v1/txn", unlock).status()).isEqualTo(200);
    consul().put("/v1/session/destroy/" + s1, null); // behavior delete: only held keys go
    JsonObject kept = new JsonArray(consul().get("/v1/kv/" + key).body()).getJsonObject(0);
    assertThat(kept.getString("Value")).isEqualTo("Yg==");
    assertThat(kept.containsKey("Session")).isFalse();
  }

  @Test
  void destroyingADeleteSessionDeletesTheKeysItHolds() throws Exception {
    String s = session("delete");
    String key = "/v1/kv/contract/" + id + "/held";
    assertThat(consul().put(key + "?acquire=" + s, "x").body()).isEqualTo("true");
    consul().put("/v1/session/destroy/" + s, null);
    assertThat(consul().get(key).status()).isEqualTo(404);
  }
}
