package io.muster.backend;

import io.muster.config.Catalogue;
import io.muster.spi.BackendFactory;
import io.muster.spi.Key;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * The backends present on the classpath (found through {@code META-INF/services}), and the ones
 * Muster knows of but that are packaged in a module which may be absent. The core never imports a
 * backend.
 */
public final class Backends {

  /**
   * The backends Muster ships in modules of their own, by short name, with the module: only to name
   * the module when one is selected but absent. An installed backend is known from its factory
   * (name, aliases, keys); an absent one by its short name, RabbitMQ's module name for it ({@code
   * rabbit_peer_discovery_NAME}) or, for k8s, {@code kubernetes}.
   */
  static final Map<String, String> MODULES =
      Map.of(
          "dns", "muster-backend-dns",
          "aws", "muster-backend-aws",
          "k8s", "muster-backend-k8s",
          "consul", "muster-backend-consul",
          "etcd", "muster-backend-etcd");

  private static final String RABBIT_MODULE = "rabbit_peer_discovery_";

  /** The short name of a shipped backend that {@code name} selects, if it selects one. */
  static Optional<String> shipped(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.startsWith(RABBIT_MODULE)) {
      n = n.substring(RABBIT_MODULE.length());
    }
    if (n.equals("kubernetes")) {
      n = "k8s";
    }
    return MODULES.containsKey(n) ? Optional.of(n) : Optional.empty();
  }

  private final List<BackendFactory> factories;

  public Backends(List<BackendFactory> factories) {
    this.factories = List.copyOf(factories);
  }

  /** The factories registered on the class path. */
  public static Backends load() {
    List<BackendFactory> found = new ArrayList<>();
    ServiceLoader.load(BackendFactory.class, Backends.class.getClassLoader()).forEach(found::add);
    found.sort(Comparator.comparing(BackendFactory::name));
    return new Backends(found);
  }

  public List<BackendFactory> factories() {
    return factories;
  }

  /** The factory for a name or alias, if its module is present. */
  public Optional<BackendFactory> find(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return factories.stream()
        .filter(f -> f.name().equals(n) || f.aliases().contains(n))
        .findFirst();
  }

  /**
   * The factory for {@code name}, or an explanation of why there is none: the name is unknown, or
   * the module that provides it is not installed.
   */
  public BackendFactory select(String name) {
    return find(name)
        .orElseThrow(
            () -> {
              Optional<String> absent = shipped(name);
              if (absent.isPresent()) {
                return new IllegalArgumentException(
                    "backend "
                        + absent.get()
                        + " is provided by module "
                        + MODULES.get(absent.get())
                        + ", which is not on the class path (install it, or put its jar in lib/)");
              }
              Set<String> names = new TreeSet<>(MODULES.keySet());
              factories.forEach(f -> names.add(f.name()));
              return new IllegalArgumentException(
                  "one of " + String.join(", ", names) + " (or a RabbitMQ module name)");
            });
  }

  /** {@code agentKeys} (the agent's own, with the compatibility keys) and the present backends'. */
  public Catalogue catalogue(List<Key<?>> agentKeys) {
    List<Key<?>> keys = new ArrayList<>(agentKeys);
    factories.forEach(f -> keys.addAll(f.keys()));
    Map<String, String> absent = new HashMap<>();
    MODULES.forEach(
        (name, module) -> {
          if (find(name).isEmpty()) {
            absent.put("cluster_formation." + name, module);
          }
        });
    return new Catalogue(keys, absent);
  }
}
