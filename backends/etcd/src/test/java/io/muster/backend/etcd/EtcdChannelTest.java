package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EtcdChannelTest {

  /**
   * jetcd keeps its channel private; if an upgrade moves it, the backend would silently fall back
   * to gRPC's reconnect backoff of up to 2 minutes after a long outage or partition. No etcd is
   * needed: nothing listens on the endpoint, so the watched channel is simply not ready.
   */
  @Test
  void findsTheGrpcChannelUnderAJetcdClientWithoutConnecting() throws Exception {
    Vertx vertx = Vertx.vertx();
    Client client = Client.builder().endpoints("http://127.0.0.1:9").build();
    try (EtcdChannel channel = EtcdChannel.watch(client, vertx)) {
      assertThat(channel.observed())
          .as("jetcd's channel found (jetcd internals changed?)")
          .isTrue();
      assertThat(channel.reconnects()).isZero();
    } finally {
      client.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
