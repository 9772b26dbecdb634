package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EtcdClientsTest {

  /**
   * jetcd keeps its channel private; if an upgrade moves it, the backend would silently fall back
   * to gRPC's reconnect backoff of up to 120 s after a long partition. No connection is made here.
   */
  @Test
  void reachesTheGrpcChannelUnderAJetcdClientToCutItsReconnectBackoffShort() {
    Client client = Client.builder().endpoints("http://127.0.0.1:9").build();
    try {
      Optional<ManagedChannel> channel = EtcdClients.channel(client);
      assertThat(channel).isPresent();
      channel.get().resetConnectBackoff();
      assertThat(channel.get().isShutdown()).isFalse();
    } finally {
      client.close();
    }
  }
}
