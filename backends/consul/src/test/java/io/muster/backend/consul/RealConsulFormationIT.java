package io.muster.backend.consul;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.testing.BootTogether;
import io.muster.testing.TestAgents;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three agents booted together against a real Consul: runs when {@code CONSUL_HTTP_ADDR} is set
 * ({@code host:port}; {@code CONSUL_HTTP_TOKEN} if ACLs are on), reported as skipped otherwise.
 */
@EnabledIfEnvironmentVariable(named = "CONSUL_HTTP_ADDR", matches = ".+")
class RealConsulFormationIT {

  @TempDir Path dir;

  @Test
  void oneSeedAndTwoJoinsOnARealConsul() throws Exception {
    String addr = System.getenv("CONSUL_HTTP_ADDR").replaceFirst("^https?://", "");
    String token = System.getenv("CONSUL_HTTP_TOKEN");
    String unique = "muster-it-" + UUID.randomUUID().toString().substring(0, 8);
    String extra =
        "cluster_formation.consul.svc = "
            + unique
            + "\ncluster_formation.consul.cluster_name = "
            + unique
            + "\n"
            + (token == null ? "" : "cluster_formation.consul.acl_token = " + token + "\n");
    try (TestAgents agents = ConsulAgents.of(addr, dir, extra)) {
      List<Agent> started = new ArrayList<>();
      List<Decision> decisions = BootTogether.boot(agents::start, 3, 0, "a real Consul", started);
      BootTogether.assertOneCluster(decisions);
    }
  }
}
