package io.muster.config;

import io.muster.spi.Key;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The placeholders of the tarball's config templates ({@code conf/*.conf}): a value holding an
 * upper-case word between {@code @} signs ({@code @NODE_NAME@}, {@code @DATA_DIR@}) was copied and
 * never edited. It is refused with its line rather than read as a value: a template's placeholder
 * must never become a node name or a data dir that happens to parse.
 */
final class Placeholders {

  private static final Pattern TOKEN = Pattern.compile("@[A-Z][A-Z0-9_]*@");

  private Placeholders() {}

  /**
   * The first placeholder in a value of {@code key}, if any. Secrets are not looked at: a password
   * may hold such a word, and no template puts a placeholder in one (they are commented out).
   */
  static Optional<String> in(Key<?> key, String value) {
    if (key.isSecret()) {
      return Optional.empty();
    }
    Matcher m = TOKEN.matcher(value);
    return m.find() ? Optional.of(m.group()) : Optional.empty();
  }

  /** The problem's message: what to do about the line. */
  static String message(String placeholder) {
    return "expected a real value, not the template's placeholder "
        + placeholder
        + " (edit it: the template's comment above the line says what belongs there)";
  }
}
