package io.muster.spi;

/**
 * A value, or a combination of values, that is not acceptable; thrown by settings constructors
 * (cross-field rules). The core reports it as {@code file:line: key: expected ...} and exits 2.
 */
public final class InvalidSettingException extends RuntimeException {

  private final transient Key<?> key;

  /**
   * @param key the key to blame (its origin is reported)
   * @param expected completes "expected ..."; never contains a secret value
   */
  public InvalidSettingException(Key<?> key, String expected) {
    super(key.name() + ": " + expected);
    this.key = key;
  }

  public Key<?> key() {
    return key;
  }
}
