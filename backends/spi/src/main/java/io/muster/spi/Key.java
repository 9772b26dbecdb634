package io.muster.spi;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;

/**
 * The declaration of one config key: name, type, default, description, and whether its value is a
 * secret. Declared once, by the core or by a backend factory; the validator, {@code muster
 * describe} and docs/configuration.md all come from these declarations.
 *
 * <p>A {@link Shape#LIST} key {@code a.b} matches {@code a.b.1}, {@code a.b.2}, ... and yields a
 * list ordered by index; a {@link Shape#MAP} key matches {@code a.b.NAME} and yields a map; a
 * {@link Shape#GROUP} key {@code a.N.c} matches {@code a.1.c}, {@code a.2.c}, ... and yields a map
 * from index to value, so several keys can describe numbered items together ({@code
 * muster.render.1.template}, {@code muster.render.1.destination}).
 */
public final class Key<T> {

  /** How a key is written in the file. */
  public enum Shape {
    SCALAR,
    LIST,
    MAP,
    GROUP
  }

  private final String name;
  private final Shape shape;
  private final KeyType<?> type;
  private final T defaultValue;
  private final String defaultText;
  private final String description;
  private final boolean secret;
  private final List<String> aliases;
  private final String ignoredBecause;

  private Key(
      String name,
      Shape shape,
      KeyType<?> type,
      T defaultValue,
      String defaultText,
      String description,
      boolean secret,
      List<String> aliases,
      String ignoredBecause) {
    this.name = Objects.requireNonNull(name, "name");
    this.shape = shape;
    this.type = Objects.requireNonNull(type, "type");
    this.defaultValue = defaultValue;
    this.defaultText = defaultText;
    this.description = Objects.requireNonNull(description, "description");
    this.secret = secret;
    this.aliases = List.copyOf(aliases);
    this.ignoredBecause = ignoredBecause;
  }

  /** A single-valued key with a default ({@code null}: optional, no default). */
  public static <T> Key<T> scalar(
      String name, KeyType<T> type, T defaultValue, String description) {
    return new Key<>(
        name,
        Shape.SCALAR,
        type,
        defaultValue,
        defaultValue == null ? "(none)" : type.print(defaultValue),
        description,
        false,
        List.of(),
        null);
  }

  /** An indexed list key ({@code name.1}, {@code name.2}, ...); defaults to the empty list. */
  public static <E> Key<List<E>> list(String name, KeyType<E> type, String description) {
    return new Key<>(
        name, Shape.LIST, type, List.of(), "(empty)", description, false, List.of(), null);
  }

  /** A map key ({@code name.KEY = value}); defaults to the empty map. */
  public static <E> Key<Map<String, E>> map(String name, KeyType<E> type, String description) {
    return new Key<>(
        name, Shape.MAP, type, Map.of(), "(empty)", description, false, List.of(), null);
  }

  /**
   * One field of numbered items: {@code prefix.N.field}, e.g. {@code muster.render.1.template}.
   * Yields a map from index to value, in index order; defaults to the empty map.
   */
  public static <E> Key<SortedMap<Integer, E>> group(
      String prefix, String field, KeyType<E> type, String description) {
    return new Key<>(
        prefix + ".N." + field,
        Shape.GROUP,
        type,
        Collections.emptySortedMap(),
        "(none)",
        description,
        false,
        List.of(),
        null);
  }

  /**
   * A key RabbitMQ defines that Muster accepts (so a whole rabbitmq.conf loads) but does not act
   * on; loading it logs why.
   */
  public static Key<String> ignored(String name, String because) {
    return new Key<>(
        name,
        Shape.SCALAR,
        KeyType.of("any", raw -> raw),
        null,
        "(none)",
        "Accepted for rabbitmq.conf compatibility and ignored: " + because,
        false,
        List.of(),
        because);
  }

  /** The same key whose value must never be printed (passwords, tokens, secret keys). */
  public Key<T> secret() {
    return new Key<>(
        name, shape, type, defaultValue, defaultText, description, true, aliases, ignoredBecause);
  }

  /** The same key, also accepted under other names (RabbitMQ's aliases, e.g. lock_wait_time). */
  public Key<T> withAliases(String... names) {
    return new Key<>(
        name,
        shape,
        type,
        defaultValue,
        defaultText,
        description,
        secret,
        List.of(names),
        ignoredBecause);
  }

  /** The same key with a default described in words (e.g. "the node's host"). */
  public Key<T> withDefaultText(String text) {
    return new Key<>(
        name, shape, type, defaultValue, text, description, secret, aliases, ignoredBecause);
  }

  public String name() {
    return name;
  }

  public Shape shape() {
    return shape;
  }

  public KeyType<?> type() {
    return type;
  }

  public T defaultValue() {
    return defaultValue;
  }

  public String defaultText() {
    return defaultText;
  }

  public String description() {
    return description;
  }

  public boolean isSecret() {
    return secret;
  }

  public List<String> aliases() {
    return aliases;
  }

  /** Non-null for keys accepted only for compatibility. */
  public String ignoredBecause() {
    return ignoredBecause;
  }

  /** How the key is written: {@code name}, {@code name.N} or {@code name.KEY}. */
  public String pattern() {
    return switch (shape) {
      case SCALAR, GROUP -> name;
      case LIST -> name + ".N";
      case MAP -> name + ".KEY";
    };
  }

  @Override
  public String toString() {
    return pattern();
  }
}
