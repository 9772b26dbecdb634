package io.muster.backend;

import io.muster.config.Catalogue;
import io.muster.config.CoreKeys;
import io.muster.spi.BackendFactory;
import io.muster.spi.Key;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The backends present on the classpath (found through {@code META-INF/services}), and the ones
 * Muster knows of but that are packaged in a module which may be absent. The core never imports a
 * backend.
 */
public final class Backends {

  /** A backend Muster ships, by short name, with its aliases, key prefix and Maven module. */
  record Known(String name, List<String> aliases, String keyPrefix, String module) {}

  static final List<Known> KNOWN =
      List.of(
          new Known(
              "classic_config",
              List.of("rabbit_peer_discovery_classic_config"),
              "cluster_formation.classic_config",
              "muster-agent"),
          new Known(
              "dns",
              List.of("rabbit_peer_discovery_dns"),
              "cluster_formation.dns",
              "muster-backend-dns"),
          new Known(
              "aws",
              List.of("rabbit_peer_discovery_aws"),
              "cluster_formation.aws",
              "muster-backend-aws"),
          new Known(
              "k8s",
              List.of("kubernetes", "rabbit_peer_discovery_k8s"),
              "cluster_formation.k8s",
              "muster-backend-k8s"),
          new Known(
              "consul",
              List.of("rabbit_peer_discovery_consul"),
              "cluster_formation.consul",
              "muster-backend-consul"),
          new Known(
              "etcd",
              List.of("rabbit_peer_discovery_etcd"),
              "cluster_formation.etcd",
              "muster-backend-etcd"));

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
              String n = name.toLowerCase(Locale.ROOT);
              for (Known k : KNOWN) {
                if (k.name().equals(n) || k.aliases().contains(n)) {
                  return new IllegalArgumentException(
                      "backend "
                          + k.name()
                          + " is provided by module "
                          + k.module()
                          + ", which is not on the class path (install it, or put its jar in lib/)");
                }
              }
              List<String> names = new ArrayList<>();
              KNOWN.forEach(k -> names.add(k.name()));
              factories.forEach(
                  f -> {
                    if (!names.contains(f.name())) {
                      names.add(f.name());
                    }
                  });
              return new IllegalArgumentException(
                  "one of " + String.join(", ", names) + " (or a RabbitMQ module name)");
            });
  }

  /** Every key the core and the present backends declare. */
  public Catalogue catalogue() {
    List<Key<?>> keys = new ArrayList<>(CoreKeys.ALL);
    keys.addAll(compatKeys());
    factories.forEach(f -> keys.addAll(f.keys()));
    Map<String, String> absent = new LinkedHashMap<>();
    for (Known k : KNOWN) {
      if (find(k.name()).isEmpty()) {
        absent.put(k.keyPrefix(), k.module());
      }
    }
    return new Catalogue(keys, absent);
  }

  private static List<Key<?>> compatKeys() {
    return CoreKeys.COMPAT;
  }
}
