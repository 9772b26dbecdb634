package io.muster.spi;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Capability of backends that keep a registration for the local node (etcd key under a lease,
 * Consul service with a TTL check). The backend keeps the registration alive itself and
 * re-registers when the backend lost it.
 */
public interface Registration {

  /**
   * The cluster a registration written by RabbitMQ's own peer discovery plugin claims, in {@link
   * DiscoveryResult.Peers#members}. Such a node takes the same formation lock, and registers only
   * after it has started its cluster or joined one, before releasing the lock: a live plugin
   * registration is a running cluster that has no marker, to be joined, never seeded beside. Agents
   * that join it claim this id too, and its formed marker, once a member writes it, names it.
   */
  String PLUGIN_CLUSTER = "rabbitmq-peer-discovery";

  /** Creates the lease/session and the registration, and starts keeping them alive. */
  CompletionStage<Void> register();

  /**
   * Marks the registration as that of a member of cluster {@code clusterId}: the node completed (or
   * rejoins from its record). Every later registration, re-registrations included, carries it, and
   * discovery reports it ({@link DiscoveryResult.Peers#members}), so that the others join members
   * only and never seed beside them when the marker is lost (formation.md step 5). Best effort: a
   * failed update is logged and carried by the next (re-)registration.
   */
  default void markMember(String clusterId) {}

  /** Removes the registration and releases the lease/session. */
  CompletionStage<Void> unregister();

  /**
   * How long a registration outlives its agent (etcd {@code node_ttl}, Consul {@code svc_ttl}):
   * node cleanup's default absence window is twice this (formation.md invariant 6).
   */
  default Optional<Duration> registrationTtl() {
    return Optional.empty();
  }

  /** A one-line, secret-free description of the registration for {@code /v1/status}. */
  String describeRegistration();
}
