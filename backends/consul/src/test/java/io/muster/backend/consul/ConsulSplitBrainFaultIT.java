package io.muster.backend.consul;

import io.muster.testing.SplitBrainHunt;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split-brain hunt on the Consul emulator. Each trial is its own cluster: its own service name
 * ({@code svc}, what discovery reads) and {@code cluster_name} (the lock and marker keys). Sessions
 * have Consul's 10 s minimum TTL, so a killed seed's forming marker and a killed holder's lock go
 * 10 s after the kill; about one trial in five waits for that, so four trials run at a time (each
 * its own cluster: they cannot see each other) to overlap those waits. Runs in the {@code faults}
 * profile (scripts/test).
 */
class ConsulSplitBrainFaultIT {

  @TempDir Path dir;

  @Test
  void twoHundredRandomizedTrialsNeverFormTwoClusters() throws Exception {
    try (ConsulEmulator consul = new ConsulEmulator(null).start()) {
      SplitBrainHunt.Subject subject =
          new SplitBrainHunt.Subject(
              (trialDir, clusterName, n) ->
                  ConsulAgents.of(
                      consul.address(),
                      trialDir,
                      "cluster_formation.consul.svc = "
                          + clusterName
                          + "\ncluster_formation.consul.cluster_name = "
                          + clusterName
                          + "\n"),
              true,
              ConsulSettings.MIN_SESSION_TTL);
      new SplitBrainHunt(subject, dir, "consul").run(200, 4);
    }
  }
}
