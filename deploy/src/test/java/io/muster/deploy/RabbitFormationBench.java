package io.muster.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Benchmark, not a test (failsafe's default includes do not pick it up; {@code
 * bench/rabbitmq-formation.sh} runs it with {@code -Dit.test=RabbitFormationBench}): three RabbitMQ
 * 3.10 nodes booted in parallel, until all three report one cluster of three, in three variants
 * interleaved round by round so that the machine's noise falls on all of them alike: (a) bare
 * standalone nodes (no clustering: the floor), (b) RabbitMQ's own etcd plugin, (c) each node under
 * {@code muster exec} with the etcd backend. Prints each variant's median/min/max and the medians
 * of the per-round ratios (b)/(a) and (c)/(a); never fails on timing (only when a formation does
 * not complete within {@link RabbitFormations#FORMATION_BOUND}).
 *
 * <p>System properties: {@code muster.bench.rounds} (default 3), {@code muster.bench.out} (a file
 * the table is also written to).
 */
class RabbitFormationBench {

  @RegisterExtension
  static final RabbitFormationsExtension RABBIT = new RabbitFormationsExtension();

  /** One round's three times, ms. */
  private record Round(long bare, long plugin, long muster) {}

  @Test
  void interleavedRounds() throws Exception {
    int rounds = Integer.getInteger("muster.bench.rounds", 3);
    List<Round> done = new ArrayList<>();
    List<MusterPhases> phases = new ArrayList<>();
    for (int r = 1; r <= rounds; r++) {
      long a = RABBIT.get().bare("r" + r);
      long b = RABBIT.get().plugin("r" + r);
      long c = RABBIT.get().muster("r" + r);
      phases.addAll(RABBIT.get().lastPhases());
      done.add(new Round(a, b, c));
      System.out.printf("[bench] round %d: (a) %d ms, (b) %d ms, (c) %d ms%n", r, a, b, c);
    }
    String table = table(done) + phases(phases);
    System.out.print(table);
    String out = System.getProperty("muster.bench.out");
    if (out != null && !out.isBlank()) {
      Files.writeString(Path.of(out), table);
    }
  }

  private static String table(List<Round> rounds) {
    StringBuilder t = new StringBuilder();
    t.append(
        String.format(
            "RabbitMQ 3.10: 3 nodes booted in parallel until all report one cluster of 3;"
                + " %d round(s), variants interleaved (a, b, c per round)%n",
            rounds.size()));
    t.append(
        String.format(
            "%-44s %8s %8s %8s   %s%n", "variant (seconds)", "median", "min", "max", "per round"));
    row(t, "(a) standalone, no clustering", rounds, x -> x.bare() / 1000.0);
    row(t, "(b) RabbitMQ's etcd plugin", rounds, x -> x.plugin() / 1000.0);
    row(t, "(c) muster exec, etcd backend", rounds, x -> x.muster() / 1000.0);
    t.append("ratios: median/min/max of the per-round ratios\n");
    row(t, "(b)/(a)", rounds, x -> (double) x.plugin() / x.bare());
    row(t, "(c)/(a)", rounds, x -> (double) x.muster() / x.bare());
    t.append("(c): muster JVM flags ")
        .append(String.join(" ", RABBIT.get().musterJvm()))
        .append('\n');
    return t.toString();
  }

  /** (c)'s time per phase, medians over every round's seed and over its joiners, seconds. */
  private static String phases(List<MusterPhases> all) {
    StringBuilder t = new StringBuilder("(c) per phase, seconds (median over rounds):\n");
    t.append(String.format("%-10s", "node"));
    MusterPhases.names().forEach(n -> t.append(String.format(" %16s", n)));
    t.append('\n');
    for (boolean seed : new boolean[] {true, false}) {
      List<MusterPhases> some = all.stream().filter(p -> p.seed() == seed).toList();
      t.append(String.format("%-10s", seed ? "seed" : "joiners"));
      for (int i = 0; i < MusterPhases.names().size(); i++) {
        int phase = i;
        double[] v =
            some.stream().mapToDouble(p -> p.values().get(phase) / 1000.0).sorted().toArray();
        double median =
            v.length == 0
                ? Double.NaN
                : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        t.append(String.format(Locale.ROOT, " %16.2f", median));
      }
      t.append('\n');
    }
    return t.toString();
  }

  private static void row(
      StringBuilder t, String label, List<Round> rounds, ToDoubleFunction<Round> f) {
    double[] v = rounds.stream().mapToDouble(f).toArray();
    double[] sorted = v.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    StringBuilder each = new StringBuilder();
    for (double x : v) {
      each.append(String.format(Locale.ROOT, " %.2f", x));
    }
    t.append(
        String.format(
            Locale.ROOT,
            "%-44s %8.2f %8.2f %8.2f  %s%n",
            label,
            median,
            sorted[0],
            sorted[n - 1],
            each));
  }
}
