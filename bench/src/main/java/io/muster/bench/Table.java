package io.muster.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with right-aligned columns, printed once all rows are in. */
final class Table {

  private final String title;
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  Table(String title, String... header) {
    this.title = title;
    this.header = List.of(header);
  }

  void row(Object... cells) {
    List<String> r = new ArrayList<>();
    for (Object c : cells) {
      r.add(String.valueOf(c));
    }
    if (r.size() != header.size()) {
      throw new IllegalArgumentException("row of " + r.size() + " cells for " + header);
    }
    rows.add(r);
  }

  void note(String line) {
    notes.add(line);
  }

  void print(PrintStream out) {
    int[] w = new int[header.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = header.get(i).length();
      for (List<String> r : rows) {
        w[i] = Math.max(w[i], r.get(i).length());
      }
    }
    out.println();
    out.println(title);
    line(out, header, w);
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      rule.append(i == 0 ? "" : "-+-").append("-".repeat(w[i]));
    }
    out.println(rule);
    rows.forEach(r -> line(out, r, w));
    notes.forEach(n -> out.println("  " + n));
    out.flush();
  }

  private static void line(PrintStream out, List<String> cells, int[] w) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      b.append(i == 0 ? "" : " | ");
      String c = cells.get(i);
      b.append(i == 0 ? c + " ".repeat(w[i] - c.length()) : " ".repeat(w[i] - c.length()) + c);
    }
    out.println(b);
  }
}
