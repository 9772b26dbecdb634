package io.muster.backend.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
          .atMost(Duration.ofSeconds(5))
          .until(() -> new JsonArray(raw.get("/v1/health/service/svc?passing").body()).isEmpty());
      assertThat(raw.get("/v1/health/service/svc").body()).contains("TTL expired");
      // Consul never reaps sooner than a minute; the test shortens it through a control.
      consul.setDeregisterAfter("s1", Duration.ofMillis(200));
      await()
          .atMost(Duration.ofSeconds(5))
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
}
