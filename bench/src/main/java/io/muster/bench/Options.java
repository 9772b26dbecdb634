package io.muster.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A benchmark's {@code --key value} options. Every option a benchmark reads is declared with its
 * default, so an unknown or misspelt option stops the run instead of being ignored.
 */
final class Options {

  private final Map<String, String> given = new LinkedHashMap<>();
  private final Map<String, String> declared = new LinkedHashMap<>();

  Options(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--") || i + 1 >= args.size()) {
        throw new IllegalArgumentException("expected --option value, got " + a);
      }
      given.put(a.substring(2), args.get(++i));
    }
  }

  /** Fails on options no benchmark declared. */
  void checkKnown(Set<String> known) {
    for (String k : given.keySet()) {
      if (!known.contains(k)) {
        throw new IllegalArgumentException("unknown option --" + k + "; known: " + known);
      }
    }
  }

  private String raw(String key, String dflt) {
    declared.put(key, dflt);
    return given.getOrDefault(key, dflt);
  }

  int integer(String key, int dflt) {
    String v = raw(key, Integer.toString(dflt));
    try {
      int n = Integer.parseInt(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " expects a whole number >= 0, got " + v);
    }
  }

  List<Integer> integers(String key, String dflt) {
    List<Integer> out = new ArrayList<>();
    for (String s : raw(key, dflt).split(",")) {
      try {
        int n = Integer.parseInt(s.trim());
        if (n < 1) {
          throw new NumberFormatException();
        }
        out.add(n);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--" + key + " expects numbers >= 1 like 3,10; got " + s);
      }
    }
    return out;
  }

  List<String> words(String key, String dflt, Set<String> allowed) {
    List<String> out = new ArrayList<>();
    for (String s : raw(key, dflt).split(",")) {
      if (!allowed.contains(s.trim())) {
        throw new IllegalArgumentException(
            "--" + key + " expects some of " + allowed + "; got " + s);
      }
      out.add(s.trim());
    }
    return out;
  }

  /** Seconds: {@code 60}, {@code 60s}, {@code 2m} or {@code 500ms}. */
  Duration duration(String key, String dflt) {
    String v = raw(key, dflt).trim();
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      return Duration.ofSeconds(
          Long.parseLong(v.endsWith("s") ? v.substring(0, v.length() - 1) : v));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " expects 60, 60s, 2m or 500ms; got " + v);
    }
  }

  /** The options in effect, for the table's header. */
  String describe() {
    StringBuilder b = new StringBuilder();
    declared.forEach(
        (k, d) -> b.append(" --").append(k).append(' ').append(given.getOrDefault(k, d)));
    return b.toString().trim();
  }
}
