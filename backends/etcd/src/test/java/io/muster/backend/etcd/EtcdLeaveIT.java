package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import io.muster.agent.Agent;
import io.muster.testing.TestAgents;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, {@code muster leave} end to end on real etcd: a member of a formed cluster of two
 * leaves (its node runs the leave command), its registration is gone from etcd at once (not a TTL
 * later), its record is gone, and the other member stays registered and formed.
 */
class EtcdLeaveIT {

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;

  @Test
  void aMemberLeavesAndItsRegistrationAndRecordGoWhileTheOtherStays() throws Exception {
    Path script = dir.resolve("leave-cluster");
    Path marker = dir.resolve("node2-left");
    Files.writeString(script, "#!/bin/sh\necho \"$MUSTER_NODE\" > " + marker + "\n");
    script.toFile().setExecutable(true);
    try (TestAgents agents =
        EtcdAgents.of(ETCD, dir, "leave", "muster.node.leave_command = " + script + "\n")) {
      Client client = ETCD.client();
      List<Agent> members = EtcdAgents.formCluster(agents, 2);
      assertThat(EtcdAgents.leases(client, "leave")).containsKeys("rabbit@node1", "rabbit@node2");
      Agent leaving =
          members.stream()
              .filter(a -> a.node().toString().equals("rabbit@node2"))
              .findFirst()
              .orElseThrow();

      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + leaving.apiPort() + "/v1/leave"))
                      .POST(HttpRequest.BodyPublishers.noBody())
                      .timeout(Duration.ofSeconds(60))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(Files.readString(marker).strip()).isEqualTo("rabbit@node2");
      assertThat(EtcdAgents.leases(client, "leave"))
          .as("unregistered at once, not a TTL later")
          .containsKey("rabbit@node1")
          .doesNotContainKey("rabbit@node2");
      assertThat(dir.resolve("n2").resolve("membership.json")).doesNotExist();
      assertThat(dir.resolve("n1").resolve("membership.json")).exists();
      assertThat(leaving.left()).isDone();
      // every member took the formation lock once: the wait is exported
      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + members.get(0).apiPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body()).contains("muster_lock_wait_seconds_count 1");
    }
  }
}
