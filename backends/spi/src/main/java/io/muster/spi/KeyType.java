package io.muster.spi;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type of a config value: how to parse it and how to describe what is expected. {@link
 * #parse(String)} throws {@link IllegalArgumentException} whose message completes the sentence
 * "expected ..." so the core can report {@code file:line: key: expected ...}.
 */
public final class KeyType<T> {

  private final String description;
  private final Function<String, T> parser;
  private final Function<T, String> printer;
  private final Function<String, String> redactor;

  private KeyType(String description, Function<String, T> parser, Function<T, String> printer) {
    this(description, parser, printer, Function.identity());
  }

  private KeyType(
      String description,
      Function<String, T> parser,
      Function<T, String> printer,
      Function<String, String> redactor) {
    this.description = description;
    this.parser = parser;
    this.printer = printer;
    this.redactor = redactor;
  }

  /** A type from a parser that throws {@link IllegalArgumentException} on bad input. */
  public static <T> KeyType<T> of(String description, Function<String, T> parser) {
    return new KeyType<>(description, parser, String::valueOf);
  }

  /** What the value must look like, e.g. "integer 1..65535". */
  public String description() {
    return description;
  }

  /**
   * Parses a raw value.
   *
   * @throws IllegalArgumentException with what was expected
   */
  public T parse(String raw) {
    return parser.apply(raw);
  }

  /** Prints a value back the way it would be written in a config file. */
  public String print(T value) {
    return printer.apply(value);
  }

  /**
   * A printed or raw value of this type as an operator may see it (status page, validate, an
   * error's "got ..."): the part of it that is a secret, such as a proxy URL's password, replaced.
   * Keys that are secret as a whole are never shown at all ({@link Key#isSecret()}).
   */
  public String redact(String shown) {
    return redactor.apply(shown);
  }

  // user:password@ after an optional scheme; the password runs to the last '@' so that an
  // unencoded '@' in it is hidden too.
  private static final Pattern URL_PASSWORD =
      Pattern.compile("^((?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/?#@:]*):.*@");

  static String hideUrlPassword(String text) {
    return URL_PASSWORD.matcher(text).replaceFirst("$1:(redacted)@");
  }

  public static final KeyType<String> STRING =
      of(
          "string",
          raw -> {
            if (raw.isEmpty()) {
              throw new IllegalArgumentException("a non-empty string");
            }
            return raw;
          });

  public static final KeyType<Boolean> BOOLEAN =
      of(
          "boolean (true|false)",
          raw ->
              switch (raw) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException("true or false");
              });

  public static final KeyType<NodeName> NODE_NAME =
      of(
          "node name (prefix@host)",
          raw -> {
            try {
              return NodeName.parse(raw);
            } catch (IllegalArgumentException e) {
              // the loader appends the value itself: say only what is wrong with it, once
              String why = e.getMessage();
              int quoted = Math.max(why.lastIndexOf(", got \""), why.lastIndexOf(" in \""));
              if (quoted > 0) {
                why = why.substring(0, quoted);
              }
              if (why.startsWith("expected a node name of the form")) {
                throw new IllegalArgumentException("a node name prefix@host", e);
              }
              throw new IllegalArgumentException("a node name prefix@host (" + why + ")", e);
            }
          });

  public static final KeyType<Path> PATH = of("path", raw -> Path.of(STRING.parse(raw)));

  /** One DNS label; a host is checked label by label (a repeated regex group recurses). */
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?");

  private static boolean isHostName(String host) {
    for (String label : host.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  /** A host name, IPv4 or IPv6 address (no port). */
  public static final KeyType<String> HOST_ADDRESS =
      of(
          "host name or IP address",
          raw -> {
            String host =
                raw.startsWith("[") && raw.endsWith("]") ? raw.substring(1, raw.length() - 1) : raw;
            if (isHostName(host) || (host.contains(":") && host.matches("[0-9A-Fa-f:.]+"))) {
              return host;
            }
            throw new IllegalArgumentException("a host name or IP address");
          });

  /**
   * An http:// or https:// URL with a host.
   *
   * @param description what {@code muster describe} shows
   * @param expected completes "expected ..." when a value is not such a URL
   */
  public static KeyType<URI> httpUrl(String description, String expected) {
    return of(
        description,
        raw -> {
          URI u;
          try {
            u = URI.create(raw.trim());
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(expected, e);
          }
          if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())
              || u.getHost() == null) {
            throw new IllegalArgumentException(expected);
          }
          return u;
        });
  }

  /** An HTTP proxy as {@code host}, {@code host:port} or {@code http://host:port}. */
  /** A proxy URL; a password in it ({@code http://user:password@host:port}) is never shown. */
  public static final KeyType<URI> PROXY =
      new KeyType<>(
          "proxy (host, host:port or http://host:port)",
          raw -> {
            String text = raw.contains("://") ? raw : "http://" + raw;
            try {
              URI uri = URI.create(text);
              if (uri.getHost() == null
                  || !"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("a proxy host, host:port or http://host:port");
              }
              return uri;
            } catch (IllegalArgumentException e) {
              // Not chained: URI's message quotes the raw text, which may hold a password.
              throw new IllegalArgumentException("a proxy host, host:port or http://host:port");
            }
          },
          String::valueOf,
          KeyType::hideUrlPassword);

  /** An integer within {@code [min, max]}. */
  public static KeyType<Integer> integer(int min, int max) {
    String range = min + ".." + max;
    return of(
        "integer " + range,
        raw -> {
          int value;
          try {
            value = Integer.parseInt(raw);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("an integer " + range, e);
          }
          if (value < min || value > max) {
            throw new IllegalArgumentException("an integer " + range);
          }
          return value;
        });
  }

  /** A TCP port, 1..65535, or 0 for "any free port" when {@code allowZero}. */
  public static KeyType<Integer> port(boolean allowZero) {
    return integer(allowZero ? 0 : 1, 65535);
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

  /**
   * A duration: a whole number in {@code bareUnit} (as RabbitMQ writes them), or a number with a
   * unit suffix {@code ms}, {@code s}, {@code m} or {@code h}. Bounded by {@code [min, max]}.
   */
  public static KeyType<Duration> duration(String bareUnit, Duration min, Duration max) {
    Objects.requireNonNull(bareUnit, "bareUnit");
    String expected =
        "a duration: whole "
            + unitName(bareUnit)
            + " or with a unit (500ms, 5s, 2m) between "
            + format(min)
            + " and "
            + format(max);
    return new KeyType<>(
        "duration (bare number = " + unitName(bareUnit) + "; or 500ms, 5s, 2m, 1h)",
        raw -> {
          Matcher m = DURATION.matcher(raw.trim());
          if (!m.matches()) {
            throw new IllegalArgumentException(expected);
          }
          long amount;
          try {
            amount = Long.parseLong(m.group(1));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(expected, e);
          }
          String unit = m.group(2) == null ? bareUnit : m.group(2);
          Duration d;
          try {
            d =
                switch (unit) {
                  case "ms" -> Duration.ofMillis(amount);
                  case "s" -> Duration.ofSeconds(amount);
                  case "m" -> Duration.ofMinutes(amount);
                  case "h" -> Duration.ofHours(amount);
                  default -> throw new IllegalStateException(unit);
                };
          } catch (ArithmeticException e) {
            // 9223372036854775807m: more than a Duration holds, so above any bound.
            throw new IllegalArgumentException(expected, e);
          }
          if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(expected);
          }
          return d;
        },
        KeyType::format);
  }

  private static String unitName(String unit) {
    return switch (unit) {
      case "ms" -> "milliseconds";
      case "s" -> "seconds";
      case "m" -> "minutes";
      case "h" -> "hours";
      default -> throw new IllegalArgumentException("unknown unit " + unit);
    };
  }

  /** Formats a duration the way it can be written back: 500ms, 5s, 2m. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  /** One of a fixed set of lower-case words. */
  public static KeyType<String> oneOf(String... values) {
    List<String> allowed = List.of(values);
    String expected = "one of " + String.join(", ", allowed);
    return of(
        expected,
        raw -> {
          String v = raw.toLowerCase(Locale.ROOT);
          if (!allowed.contains(v)) {
            throw new IllegalArgumentException(expected);
          }
          return v;
        });
  }
}
