package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.backend.consul.ConsulEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: {@code muster peers} on an answer whose instances are all critical printed nothing and
 * exited 0. It now says what it dropped and why, and exits 1 when no usable peer remains.
 */
class ConsulPeersCommandIT {

  @TempDir Path dir;

  @Test
  void peersSaysWhatItDroppedAndFailsWhenNothingUsableRemains() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start()) {
      for (int i = 1; i <= 2; i++) {
        consul.catalogRegister(
            "consul-" + i,
            "10.1.0." + i,
            "rmq-" + i,
            "rabbitmq",
            "10.0.0." + i,
            List.of(),
            null,
            Map.of("serfHealth", "passing", "service:rmq-" + i, "critical"));
      }
      String[] hp = consul.address().split(":");
      Path conf = dir.resolve("muster.conf");
      Files.writeString(
          conf,
          "muster.node_name = rabbit@node1\ncluster_formation.peer_discovery_backend = consul\n"
              + "cluster_formation.consul.host = "
              + hp[0]
              + "\ncluster_formation.consul.port = "
              + hp[1]
              + "\n");
      Cli.Result r = Cli.run("peers", "--config", conf.toString());
      assertThat(r.code()).as("stderr: %s", r.err()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err())
          .contains("dropped: rabbit@10.0.0.1: check 'service:rmq-1' is critical")
          .contains("dropped: rabbit@10.0.0.2: check 'service:rmq-2' is critical")
          .contains("found no usable peer (2 dropped, 0 rejected)");
    }
  }
}
