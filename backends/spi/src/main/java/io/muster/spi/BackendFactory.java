package io.muster.spi;

import java.util.List;

/**
 * Creates a backend. Registered in {@code META-INF/services/io.muster.spi.BackendFactory} and
 * selected by {@code cluster_formation.peer_discovery_backend}. The factory declares every key it
 * reads; the core validates them before {@link #create} is called. Creating the factory must be
 * cheap: heavy clients are created in {@link #create}, only for the selected backend.
 */
public interface BackendFactory {

  /** Short name, e.g. {@code etcd}. */
  String name();

  /** Other accepted names, e.g. RabbitMQ's module name {@code rabbit_peer_discovery_etcd}. */
  List<String> aliases();

  /** One line for {@code muster backends}. */
  String description();

  /** The key prefix this backend owns, e.g. {@code cluster_formation.etcd}. */
  String keyPrefix();

  /** Every key the backend reads. */
  List<Key<?>> keys();

  /**
   * Creates the backend.
   *
   * @throws InvalidSettingException when values do not fit together
   */
  Backend create(BackendContext context);
}
