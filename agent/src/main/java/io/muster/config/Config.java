package io.muster.config;

import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The validated config: every set key parsed to its type, with where it was set. Immutable.
 * Defaults come from the declarations. Secret values are never printed by this class.
 */
public final class Config implements Settings {

  /** A set value and where it came from ({@code items}: each group item's origin, by index). */
  record Bound(Object value, String origin, Map<Integer, String> items) {
    Bound(Object value, String origin) {
      this(value, origin, Map.of());
    }
  }

  private final String source;
  private final Map<Key<?>, Bound> values;
  private final List<String> notes;
  private final List<String> foreignKeys;

  Config(String source, Map<Key<?>, Bound> values, List<String> notes, List<String> foreignKeys) {
    this.source = source;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.notes = List.copyOf(notes);
    this.foreignKeys = List.copyOf(foreignKeys);
  }

  /** The file the config came from (or a description when there was none). */
  public String source() {
    return source;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(Key<T> key) {
    Bound b = values.get(key);
    return b == null ? key.defaultValue() : (T) b.value();
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> Optional<T> find(Key<T> key) {
    Bound b = values.get(key);
    return b == null ? Optional.empty() : Optional.of((T) b.value());
  }

  @Override
  public Optional<String> origin(Key<?> key) {
    Bound b = values.get(key);
    return b == null ? Optional.empty() : Optional.of(b.origin());
  }

  /** Where one item of a group key was set ({@code muster.render.2.destination}). */
  public Optional<String> origin(Key<?> key, int index) {
    Bound b = values.get(key);
    return b == null ? Optional.empty() : Optional.ofNullable(b.items().get(index));
  }

  /** Compatibility keys that were accepted and ignored, and skipped keys of absent backends. */
  public List<String> notes() {
    return notes;
  }

  /** Keys outside Muster's namespaces (the rest of a rabbitmq.conf), ignored. */
  public List<String> foreignKeys() {
    return foreignKeys;
  }

  /** Set keys and printable values, secrets redacted: for {@code /v1/status} and debug logs. */
  public Map<String, Object> redacted() {
    Map<String, Object> out = new LinkedHashMap<>();
    values.forEach(
        (key, bound) -> {
          if (key.isSecret()) {
            out.put(key.pattern(), "(redacted)");
          } else {
            out.put(key.pattern(), printable(key.type(), bound.value()));
          }
        });
    return out;
  }

  private static Object printable(KeyType<?> type, Object value) {
    if (value instanceof Duration d) {
      return KeyType.format(d);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(printable(type, v)));
      return out;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), printable(type, v)));
      return out;
    }
    return type.redact(String.valueOf(value));
  }
}
