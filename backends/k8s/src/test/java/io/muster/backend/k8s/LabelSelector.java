package io.muster.backend.k8s;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A Kubernetes label selector as the API server reads {@code ?labelSelector=}: comma-separated
 * requirements, each {@code k=v}, {@code k==v}, {@code k!=v}, {@code k in (a,b)}, {@code k notin
 * (a,b)}, {@code k} (exists) or {@code !k} (does not exist). All must hold. For the emulator.
 */
record LabelSelector(List<Predicate<Map<String, String>>> requirements) {

  static LabelSelector parse(String text) {
    List<Predicate<Map<String, String>>> out = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return new LabelSelector(out);
    }
    for (String term : split(text)) {
      String t = term.trim();
      if (t.startsWith("!")) {
        String key = t.substring(1).trim();
        out.add(labels -> !labels.containsKey(key));
      } else if (t.matches("\\S+\\s+notin\\s*\\(.*\\)")) {
        String key = t.substring(0, t.indexOf(' '));
        Set<String> values = values(t);
        out.add(labels -> !values.contains(labels.get(key)));
      } else if (t.matches("\\S+\\s+in\\s*\\(.*\\)")) {
        String key = t.substring(0, t.indexOf(' '));
        Set<String> values = values(t);
        out.add(labels -> values.contains(labels.get(key)));
      } else if (t.contains("!=")) {
        String key = t.substring(0, t.indexOf("!=")).trim();
        String value = t.substring(t.indexOf("!=") + 2).trim();
        out.add(labels -> !value.equals(labels.get(key)));
      } else if (t.contains("=")) {
        int eq = t.indexOf('=');
        String key = t.substring(0, eq).trim();
        String value = t.substring(t.startsWith("=", eq + 1) ? eq + 2 : eq + 1).trim();
        out.add(labels -> value.equals(labels.get(key)));
      } else {
        out.add(labels -> labels.containsKey(t));
      }
    }
    return new LabelSelector(out);
  }

  boolean matches(Map<String, String> labels) {
    return requirements.stream().allMatch(r -> r.test(labels));
  }

  /** Splits on commas outside parentheses. */
  private static List<String> split(String text) {
    List<String> terms = new ArrayList<>();
    int depth = 0;
    int from = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      if (c == ',' && depth == 0) {
        terms.add(text.substring(from, i));
        from = i + 1;
      }
    }
    terms.add(text.substring(from));
    return terms;
  }

  private static Set<String> values(String term) {
    String inner = term.substring(term.indexOf('(') + 1, term.lastIndexOf(')'));
    Set<String> out = new java.util.HashSet<>();
    for (String v : inner.split(",")) {
      out.add(v.trim());
    }
    return out;
  }
}
