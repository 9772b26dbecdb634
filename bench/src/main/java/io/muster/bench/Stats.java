package io.muster.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Order statistics of a sample (nearest rank), formatted for tables. */
final class Stats {

  private final List<Double> sorted;

  Stats(List<? extends Number> values) {
    List<Double> v = new ArrayList<>();
    values.forEach(n -> v.add(n.doubleValue()));
    Collections.sort(v);
    this.sorted = v;
  }

  int count() {
    return sorted.size();
  }

  /** The p-th percentile by nearest rank (p in 0..100); NaN for an empty sample. */
  double percentile(double p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  /** The median: the middle value, or the mean of the two middle values. */
  double median() {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  double max() {
    return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1);
  }

  /** Milliseconds with one decimal, or "-" when there is no value. */
  static String ms(double v) {
    return Double.isNaN(v) ? "-" : String.format("%.1f", v);
  }

  /** Seconds with two decimals from milliseconds, or "-". */
  static String sec(double millis) {
    return Double.isNaN(millis) ? "-" : String.format("%.2f", millis / 1000);
  }
}
