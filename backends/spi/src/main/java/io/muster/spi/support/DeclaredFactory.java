package io.muster.spi.support;

import io.muster.spi.BackendFactory;
import io.muster.spi.Key;
import java.util.List;

/**
 * A backend factory that declares what it is once, in its constructor: name, aliases, the line
 * {@code muster backends} prints and its keys. Its key prefix is {@code cluster_formation.NAME}. A
 * subclass writes a public no-argument constructor (for ServiceLoader) and {@link #create}.
 */
public abstract class DeclaredFactory implements BackendFactory {

  private final String name;
  private final List<String> aliases;
  private final String description;
  private final List<Key<?>> keys;

  protected DeclaredFactory(
      String name, List<String> aliases, String description, List<Key<?>> keys) {
    this.name = name;
    this.aliases = List.copyOf(aliases);
    this.description = description;
    this.keys = List.copyOf(keys);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final List<String> aliases() {
    return aliases;
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final String keyPrefix() {
    return "cluster_formation." + name;
  }

  @Override
  public final List<Key<?>> keys() {
    return keys;
  }
}
