package io.muster.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Benchmark, not a test ({@code bench/rabbitmq-join-race.sh} runs it): how often three RabbitMQ
 * 3.10 nodes started at one instant under {@code muster exec} fail to form one cluster, over many
 * trials, in one join mode: the shipped deploy/rabbitmq/muster.conf's, or the one the system
 * properties {@code muster.e2e.template} and {@code muster.e2e.join_when} name (e.g. {@code
 * builtin:rabbitmq} with {@code immediately}: classic_config joiners racing their seed). Prints
 * each trial, then the failure count with the errors the nodes logged, and the median time of the
 * trials that formed. {@code muster.bench.trials} (default 30), {@code muster.bench.out}.
 */
class RabbitJoinRaceBench {

  @RegisterExtension
  static final RabbitFormationsExtension RABBIT = new RabbitFormationsExtension();

  @Test
  void trials() throws Exception {
    int trials = Integer.getInteger("muster.bench.trials", 30);
    List<Long> formed = new ArrayList<>();
    Map<String, Integer> why = new TreeMap<>();
    for (int t = 1; t <= trials; t++) {
      try {
        long ms = RABBIT.get().muster("t" + t);
        formed.add(ms);
        System.out.printf("[race] trial %d: one cluster in %d ms%n", t, ms);
      } catch (RabbitFormations.FormationFailed e) {
        why.merge(e.getMessage().replaceAll("t\\d+n(\\d)@", "n$1@"), 1, Integer::sum);
        System.out.printf("[race] trial %d: FAILED: %s%n", t, e.getMessage());
      }
    }
    formed.sort(null);
    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "RabbitMQ 3.10, 3 nodes started at once under muster exec (etcd): template %s,"
                + " join_when = %s%n",
            RabbitFormations.SHIPPED.get("muster.render.1.template"),
            RabbitFormations.SHIPPED.get("muster.exec.join_when")));
    table.append(
        String.format(
            Locale.ROOT,
            "trials %d, failed %d, formed %d; median to one cluster %s%n",
            trials,
            trials - formed.size(),
            formed.size(),
            formed.isEmpty()
                ? "-"
                : String.format(Locale.ROOT, "%.2f s", formed.get(formed.size() / 2) / 1000.0)));
    why.forEach((k, v) -> table.append(String.format("  %2d x %s%n", v, k)));
    System.out.print(table);
    String out = System.getProperty("muster.bench.out");
    if (out != null && !out.isBlank()) {
      Files.writeString(Path.of(out), table);
    }
  }
}
