package io.muster.backend.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import io.vertx.core.json.JsonArray;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The emulator's own timing behaviours, which a real-Consul run would take minutes to show. */
class ConsulEmulatorIT {

  @Test
  void ttlCheckTurnsCriticalAfterItsTtlAndTheServiceIsReapedAfterDeregisterCriticalServiceAfter()
      throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start()) {
      RawConsul raw = new RawConsul(consul.address(), null);
      raw.put(
          "/v1/agent/service/register",
          "{\"ID\":\"s1\",\"Name\":\"svc\",\"Check\":{\"TTL\":\"1s\",\"Status\":\"passing\","
              + "\"DeregisterCriticalServiceAfter\":\"1m\"}}");
      assertThat(new JsonArray(raw.get("/v1/health/service/svc?passing").body())).hasSize(1);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(5)))
          .until(() -> new JsonArray(raw.get("/v1/health/service/svc?passing").body()).isEmpty());
      assertThat(raw.get("/v1/health/service/svc").body()).contains("TTL expired");
      // Consul never reaps sooner than a minute; the test shortens it through a control.
      consul.setDeregisterAfter("s1", Duration.ofMillis(200));
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(5)))
          .until(() -> new JsonArray(raw.get("/v1/health/service/svc").body()).isEmpty());
    }
  }

  @Test
  void wrongOrMissingTokenIsRefusedWith403() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator("t0ken-xyz").start()) {
      assertThat(new RawConsul(consul.address(), null).get("/v1/kv/x").status()).isEqualTo(403);
      assertThat(new RawConsul(consul.address(), "wrong").get("/v1/kv/x").status()).isEqualTo(403);
      assertThat(new RawConsul(consul.address(), "t0ken-xyz").get("/v1/kv/x").status())
          .isEqualTo(404);
    }
  }

  @Test
  void requestsAreCountedByEndpointWithoutTheirIdsAndBlockingQueriesApart() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start()) {
      RawConsul raw = new RawConsul(consul.address(), null);
      raw.put(
          "/v1/agent/service/register",
          "{\"ID\":\"s1\",\"Name\":\"svc\",\"Check\":{\"TTL\":\"10s\",\"Status\":\"passing\"}}");
      raw.put("/v1/agent/check/pass/service:s1", null);
      raw.put("/v1/agent/check/pass/service:s1", null);
      long index = raw.get("/v1/health/service/svc?passing").index();
      raw.get("/v1/health/service/svc?passing&index=" + index + "&wait=10ms");
      raw.get("/v1/kv/a/b/c");
      assertThat(consul.requestsByEndpoint())
          .containsOnly(
              entry("PUT /v1/agent/service/register", 1L),
              entry("PUT /v1/agent/check/pass", 2L),
              entry("GET /v1/health/service", 1L),
              entry("GET /v1/health/service (blocking)", 1L),
              entry("GET /v1/kv", 1L));
    }
  }
}
