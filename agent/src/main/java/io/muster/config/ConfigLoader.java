package io.muster.config;

import io.muster.spi.Key;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Binds a rabbitmq.conf-style file, then environment overrides, to the declared keys. Keys outside
 * {@code cluster_formation.*} and {@code muster.*} are ignored; an unknown key inside them, a
 * malformed line or a bad value is a {@link ConfigProblem}. All problems are collected and thrown
 * together as a {@link ConfigException}.
 *
 * <p>Environment overrides: {@code MUSTER__API__PORT=7080} sets {@code muster.api.port}, {@code
 * CLUSTER_FORMATION__ETCD__PASSWORD} sets {@code cluster_formation.etcd.password}: the key upper
 * case, with {@code __} for each dot.
 */
public final class ConfigLoader {

  private static final List<String> ENV_PREFIXES = List.of("MUSTER__", "CLUSTER_FORMATION__");

  private final Catalogue catalogue;

  public ConfigLoader(Catalogue catalogue) {
    this.catalogue = catalogue;
  }

  /** Loads {@code file} (may be null: defaults and environment only) with {@code env} on top. */
  public Config load(Path file, Map<String, String> env) {
    List<ConfEntry> entries = new ArrayList<>();
    if (file != null) {
      entries.addAll(ConfFile.read(file));
    }
    return bind(file == null ? "(no file)" : file.toString(), entries, envEntries(env));
  }

  /** Parses config text; used by tests and by {@code muster validate -}. */
  public Config loadText(String name, String text, Map<String, String> env) {
    return bind(name, ConfFile.parse(name, text), envEntries(env));
  }

  static List<ConfEntry> envEntries(Map<String, String> env) {
    List<ConfEntry> out = new ArrayList<>();
    new TreeMap<>(env)
        .forEach(
            (name, value) -> {
              if (ENV_PREFIXES.stream().anyMatch(name::startsWith)) {
                String key = name.toLowerCase(Locale.ROOT).replace("__", ".");
                out.add(new ConfEntry(key, value, "environment " + name));
              }
            });
    return out;
  }

  private Config bind(String source, List<ConfEntry> fileEntries, List<ConfEntry> envEntries) {
    List<ConfigProblem> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<String> foreign = new ArrayList<>();
    Map<Key<?>, Config.Bound> scalars = new LinkedHashMap<>();
    Map<Key<?>, Map<String, Config.Bound>> multi = new LinkedHashMap<>();

    List<ConfEntry> all = new ArrayList<>(fileEntries);
    all.addAll(envEntries);
    for (ConfEntry entry : all) {
      boolean fromEnv = entry.origin().startsWith("environment ");
      if (!Catalogue.owned(entry.key())) {
        String meant = catalogue.misspeltNamespace(entry.key());
        if (meant != null) {
          // Ignoring it would fail open: a misspelt backend key leaves classic_config in charge.
          problems.add(
              new ConfigProblem(
                  entry.origin(),
                  entry.key(),
                  "unknown key; did you mean "
                      + meant
                      + "? (expected cluster_formation.* or muster.*; keys of RabbitMQ's own are"
                      + " ignored, but this prefix is a near miss of Muster's)"));
          continue;
        }
        foreign.add(entry.key());
        continue;
      }
      Catalogue.Match match = catalogue.match(entry.key());
      if (match == null) {
        String module = catalogue.absentModuleFor(entry.key());
        if (module != null) {
          notes.add(
              entry.origin()
                  + ": "
                  + entry.key()
                  + ": skipped, backend module "
                  + module
                  + " is not installed");
          continue;
        }
        String suggestion = catalogue.suggest(entry.key());
        problems.add(
            new ConfigProblem(
                entry.origin(),
                entry.key(),
                "unknown key"
                    + (suggestion == null ? "" : "; did you mean " + suggestion + "?")
                    + " (expected a key that muster describe lists)"));
        continue;
      }
      Key<?> key = match.key();
      if (key.ignoredBecause() != null) {
        notes.add(entry.origin() + ": " + entry.key() + ": ignored, " + key.ignoredBecause());
        continue;
      }
      String placeholder = Placeholders.in(key, entry.value()).orElse(null);
      if (placeholder != null) {
        problems.add(
            new ConfigProblem(entry.origin(), entry.key(), Placeholders.message(placeholder)));
        continue;
      }
      Object value;
      try {
        value = key.type().parse(entry.value());
      } catch (IllegalArgumentException e) {
        String got =
            key.isSecret() ? "" : ", got " + ConfFile.quote(key.type().redact(entry.value()));
        problems.add(
            new ConfigProblem(entry.origin(), entry.key(), "expected " + e.getMessage() + got));
        continue;
      }
      Config.Bound bound = new Config.Bound(value, entry.origin());
      if (match.suffix() == null) {
        Config.Bound previous = scalars.put(key, bound);
        if (previous != null && !fromEnv && !previous.origin().startsWith("environment ")) {
          problems.add(
              new ConfigProblem(
                  entry.origin(),
                  entry.key(),
                  "duplicate key (expected once; first set at " + previous.origin() + ")"));
        }
      } else {
        Map<String, Config.Bound> items = multi.computeIfAbsent(key, k -> new LinkedHashMap<>());
        Config.Bound previous = items.put(match.suffix(), bound);
        if (previous != null && !fromEnv && !previous.origin().startsWith("environment ")) {
          problems.add(
              new ConfigProblem(
                  entry.origin(),
                  entry.key(),
                  "duplicate key (expected once; first set at " + previous.origin() + ")"));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    Map<Key<?>, Config.Bound> values = new LinkedHashMap<>(scalars);
    multi.forEach((key, items) -> values.put(key, collect(key, items)));
    return new Config(source, values, notes, foreign);
  }

  private static Config.Bound collect(Key<?> key, Map<String, Config.Bound> items) {
    String origin = items.values().iterator().next().origin();
    if (key.shape() == Key.Shape.MAP) {
      Map<String, Object> map = new LinkedHashMap<>();
      items.forEach((k, b) -> map.put(k, b.value()));
      return new Config.Bound(Collections.unmodifiableMap(map), origin);
    }
    if (key.shape() == Key.Shape.GROUP) {
      SortedMap<Integer, Object> byIndex = new TreeMap<>();
      Map<Integer, String> origins = new HashMap<>();
      items.forEach(
          (k, b) -> {
            byIndex.put(Integer.parseInt(k), b.value());
            origins.put(Integer.parseInt(k), b.origin());
          });
      return new Config.Bound(
          Collections.unmodifiableSortedMap(byIndex), origin, Map.copyOf(origins));
    }
    List<Map.Entry<String, Config.Bound>> sorted = new ArrayList<>(items.entrySet());
    sorted.sort(Comparator.comparing(e -> indexOrder(e.getKey())));
    List<Object> list = new ArrayList<>();
    sorted.forEach(e -> list.add(e.getValue().value()));
    return new Config.Bound(List.copyOf(list), origin);
  }

  /** Numeric indices in numeric order first, then any others in text order (as cuttlefish). */
  private static String indexOrder(String index) {
    if (index.chars().allMatch(Character::isDigit) && index.length() < 19) {
      return "0" + String.format("%019d", Long.parseLong(index));
    }
    return "1" + index;
  }
}
