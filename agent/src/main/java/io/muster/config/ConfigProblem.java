package io.muster.config;

/**
 * One reason a config cannot be used: {@code origin: key: message}, where origin is {@code
 * file:line} or {@code environment VAR}. Never carries a secret value.
 */
public record ConfigProblem(String origin, String key, String message) {
  @Override
  public String toString() {
    return key == null ? origin + ": " + message : origin + ": " + key + ": " + message;
  }

  /**
   * A value as config errors print it: in double quotes, anything outside printable ASCII as {@code
   * ?}, so a problem stays one line whatever the file held.
   */
  public static String quote(String text) {
    return ConfFile.quote(text);
  }
}
