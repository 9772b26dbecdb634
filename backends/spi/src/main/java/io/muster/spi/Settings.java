package io.muster.spi;

import java.util.Optional;

/** Validated, typed, immutable config values, read through their {@link Key} declarations. */
public interface Settings {

  /** The value, or the key's default when the key is not set (may be null for optional keys). */
  <T> T get(Key<T> key);

  /** The value when set (in the file or the environment), else empty, ignoring defaults. */
  <T> Optional<T> find(Key<T> key);

  /** Where a key was set, e.g. {@code /etc/muster.conf:12}, or empty when it was not set. */
  Optional<String> origin(Key<?> key);
}
