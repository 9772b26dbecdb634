package io.muster.faults;

import io.muster.testing.SplitBrainHunt;
import io.muster.testing.TestAgents;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split-brain hunt on classic_config (lockless: contact points on the peer port), agents on
 * 127.0.0.1..7. Runs in the {@code faults} profile (scripts/test).
 */
class ClassicSplitBrainFaultIT {

  @TempDir Path dir;

  @Test
  void twoHundredRandomizedTrialsNeverFormTwoClusters() throws Exception {
    SplitBrainHunt.Subject classic =
        new SplitBrainHunt.Subject(
            (trialDir, clusterName, n) -> {
              StringBuilder nodes = new StringBuilder();
              for (int i = 1; i <= n; i++) {
                nodes
                    .append("cluster_formation.classic_config.nodes.")
                    .append(i)
                    .append(" = rabbit@127.0.0.")
                    .append(i)
                    .append('\n');
              }
              return TestAgents.lockless(
                  trialDir, i -> "rabbit@127.0.0." + i, "classic_config", i -> nodes.toString());
            },
            false,
            Duration.ofSeconds(1));
    new SplitBrainHunt(classic, dir, "classic_config").run(200);
  }
}
