package io.muster.config;

import io.muster.spi.Key;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every key Muster knows: the core's, and those of each backend present on the classpath. Keys
 * under the prefix of a backend that is known but not installed are skipped with a note instead of
 * failing, so one rabbitmq.conf can serve agents built with different backends.
 */
public final class Catalogue {

  /** The key namespaces Muster owns; everything else in a rabbitmq.conf is ignored. */
  static final List<String> OWNED = List.of("cluster_formation.", "muster.", "clusterer.");

  private final Map<String, Key<?>> byName = new LinkedHashMap<>();
  private final Map<String, String> absentPrefixes = new HashMap<>();

  /**
   * @param keys every declared key
   * @param absentBackendPrefixes key prefix -> module to install, for known but absent backends
   */
  public Catalogue(Collection<Key<?>> keys, Map<String, String> absentBackendPrefixes) {
    for (Key<?> key : keys) {
      add(key.name(), key);
      for (String alias : key.aliases()) {
        add(alias, key);
      }
    }
    absentPrefixes.putAll(absentBackendPrefixes);
  }

  private void add(String name, Key<?> key) {
    Key<?> previous = byName.putIfAbsent(name, key);
    if (previous != null && previous != key) {
      throw new IllegalStateException("key declared twice: " + name);
    }
  }

  /** All declared keys, without aliases, in declaration order. */
  public List<Key<?>> keys() {
    List<Key<?>> out = new ArrayList<>();
    byName.forEach(
        (name, key) -> {
          if (name.equals(key.name())) {
            out.add(key);
          }
        });
    return out;
  }

  static boolean owned(String key) {
    return OWNED.stream().anyMatch(key::startsWith);
  }

  /** A key as written, resolved to its declaration; {@code suffix} is the list index or map key. */
  record Match(Key<?> key, String suffix) {}

  Match match(String written) {
    Key<?> exact = byName.get(written);
    if (exact != null && exact.shape() == Key.Shape.SCALAR) {
      return new Match(exact, null);
    }
    int dot = written.lastIndexOf('.');
    if (dot > 0) {
      Key<?> parent = byName.get(written.substring(0, dot));
      if (parent != null && (parent.shape() == Key.Shape.LIST || parent.shape() == Key.Shape.MAP)) {
        return new Match(parent, written.substring(dot + 1));
      }
    }
    String index = groupIndex(written);
    if (index != null) {
      Key<?> group = byName.get(written.replace("." + index + ".", ".N."));
      if (group != null && group.shape() == Key.Shape.GROUP) {
        // 01 and 1 are the same item: one index, so writing both is a duplicate key.
        return new Match(group, Integer.toString(Integer.parseInt(index)));
      }
    }
    return null;
  }

  /** The first inner all-digit segment of a key ({@code 1} in {@code muster.render.1.x}). */
  private static String groupIndex(String written) {
    String[] parts = written.split("\\.");
    for (int i = 1; i < parts.length - 1; i++) {
      if (!parts[i].isEmpty()
          && parts[i].length() < 10
          && parts[i].chars().allMatch(Character::isDigit)) {
        return parts[i];
      }
    }
    return null;
  }

  /** The module to install when {@code written} belongs to a known backend that is absent. */
  String absentModuleFor(String written) {
    for (Map.Entry<String, String> e : absentPrefixes.entrySet()) {
      if (written.startsWith(e.getKey() + ".")) {
        return e.getValue();
      }
    }
    return null;
  }

  /**
   * For a key outside Muster's namespaces whose first segment is a near miss of one of them ({@code
   * cluster_formaton.peer_discovery_backend}), the key it was probably meant to be; null for
   * everything else, RabbitMQ's own keys ({@code cluster_name}, {@code cluster_partition_handling})
   * included, which are far from both.
   */
  String misspeltNamespace(String written) {
    int dot = written.indexOf('.');
    String first = dot < 0 ? written : written.substring(0, dot);
    for (String owned : OWNED) {
      String namespace = owned.substring(0, owned.length() - 1);
      int allowed = namespace.length() >= 10 ? 3 : 1;
      if (!first.equals(namespace) && distance(first, namespace) <= allowed) {
        String meant = namespace + (dot < 0 ? "" : written.substring(dot));
        String key = suggest(meant);
        return key != null ? key : meant;
      }
    }
    return null;
  }

  /** The declared key closest to a misspelt one, or null when nothing is close. */
  String suggest(String written) {
    String suffix = written.substring(written.lastIndexOf('.') + 1);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    int allowed = Math.max(2, written.length() / 8);
    for (Map.Entry<String, Key<?>> e : byName.entrySet()) {
      String candidate =
          switch (e.getValue().shape()) {
            case SCALAR -> e.getKey();
            case GROUP -> {
              String index = groupIndex(written);
              yield index == null ? e.getKey() : e.getKey().replace(".N.", "." + index + ".");
            }
            default -> e.getKey() + "." + suffix;
          };
      // The distance is at least the difference in length: skip the O(n*m) work (a huge key).
      if (Math.abs(written.length() - candidate.length()) > allowed) {
        continue;
      }
      int d = distance(written, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return bestDistance <= allowed ? best : null;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    // A common prefix and suffix do not change the distance; dropping them keeps a long list
    // index or map word (muster.x.KEY with a huge KEY) out of the quadratic part.
    int start = 0;
    while (start < a.length() && start < b.length() && a.charAt(start) == b.charAt(start)) {
      start++;
    }
    int endA = a.length();
    int endB = b.length();
    while (endA > start && endB > start && a.charAt(endA - 1) == b.charAt(endB - 1)) {
      endA--;
      endB--;
    }
    a = a.substring(start, endA);
    b = b.substring(start, endB);
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
