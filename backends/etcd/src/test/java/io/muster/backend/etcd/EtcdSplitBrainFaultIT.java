package io.muster.backend.etcd;

import io.muster.testing.SplitBrainHunt;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split-brain hunt on real etcd (one member; node_ttl 3 s, so a killed seed's forming marker
 * and a killed holder's lock go within 3 s). Two trials run at a time, each on its own cluster
 * name, so the 3 s waits of the kill trials overlap (one etcd serves both, as it would two
 * clusters). Runs in the {@code faults} profile (scripts/test).
 */
class EtcdSplitBrainFaultIT {

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;

  @Test
  void twoHundredRandomizedTrialsNeverFormTwoClusters() throws Exception {
    SplitBrainHunt.Subject etcd =
        new SplitBrainHunt.Subject(
            (trialDir, clusterName, n) -> EtcdAgents.of(ETCD, trialDir, clusterName, ""),
            true,
            Duration.ofSeconds(3));
    new SplitBrainHunt(etcd, dir, "etcd").run(200, 2);
  }
}
