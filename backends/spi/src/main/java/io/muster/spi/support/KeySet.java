package io.muster.spi.support;

import io.muster.spi.Key;
import java.util.ArrayList;
import java.util.List;

/**
 * A backend's keys, in the order they are declared, so that a factory never lists every key twice
 * (once as a constant, once in {@code keys()}): each constant is declared through {@link #add}, and
 * {@code keys()} returns {@link #all}. Declare the set before the keys (static initializers run in
 * order).
 */
public final class KeySet {

  private final List<Key<?>> keys = new ArrayList<>();

  /** Records {@code key} and returns it, for {@code static final Key<T> X = KEYS.add(...)}. */
  public <T> Key<T> add(Key<T> key) {
    keys.add(key);
    return key;
  }

  /** Every key added, in order. */
  public List<Key<?>> all() {
    return List.copyOf(keys);
  }
}
