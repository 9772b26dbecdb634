package io.muster.spi;

/**
 * A value, or a combination of values, that is not acceptable; thrown by settings constructors
 * (cross-field rules). The core reports it as {@code file:line: key: expected ...} and exits 2.
 */
public final class InvalidSettingException extends RuntimeException {

  private final transient Key<?> key;
  private final Integer index;

  /**
   * @param key the key to blame (its origin is reported)
   * @param expected completes "expected ..."; never contains a secret value
   */
  public InvalidSettingException(Key<?> key, String expected) {
    this(key, null, expected);
  }

  /**
   * For one numbered item of a group key ({@code muster.render.2.destination}): the item's own line
   * is reported.
   */
  public InvalidSettingException(Key<?> key, Integer index, String expected) {
    super(key.name() + ": " + expected);
    this.key = key;
    this.index = index;
  }

  /** The item of a group key, or null. */
  public Integer index() {
    return index;
  }

  public Key<?> key() {
    return key;
  }
}
