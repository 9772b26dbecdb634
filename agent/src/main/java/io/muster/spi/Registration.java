package io.muster.spi;

import java.util.concurrent.CompletionStage;

/**
 * Capability of backends that keep a registration for the local node (etcd key under a lease,
 * Consul service with a TTL check). The backend keeps the registration alive itself and
 * re-registers when the backend lost it.
 */
public interface Registration {

  /** Creates the lease/session and the registration, and starts keeping them alive. */
  CompletionStage<Void> register();

  /** Removes the registration and releases the lease/session. */
  CompletionStage<Void> unregister();

  /** A one-line, secret-free description of the registration for {@code /v1/status}. */
  String describeRegistration();
}
