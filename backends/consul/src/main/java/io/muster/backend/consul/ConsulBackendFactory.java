package io.muster.backend.consul;

import io.muster.spi.Backend;
import io.muster.spi.BackendContext;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.support.CommonKeys;
import io.muster.spi.support.DeclaredFactory;
import io.muster.spi.support.KeySet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code consul}: the node registers a Consul service with a TTL check kept passing, the formation
 * decision is taken under a session lock in Consul's KV store, and a per-cluster marker stops a
 * later boot from seeding again. Keys and defaults are RabbitMQ's; the {@code passing} filter and
 * {@code svc_ttl} are honoured as documented (RabbitMQ drops the first and ignores the second).
 */
public final class ConsulBackendFactory extends DeclaredFactory {

  /** Every key below, in declaration order: what keys() returns. */
  private static final KeySet DECLARED = new KeySet();

  private static final String P = "cluster_formation.consul.";
  private static final CommonKeys.Tls TLS_KEYS = CommonKeys.tls(P, "Consul");

  static final Key<String> HOST =
      DECLARED.add(Key.scalar(P + "host", KeyType.HOST_ADDRESS, "localhost", "Consul agent host"));
  static final Key<Integer> PORT =
      DECLARED.add(Key.scalar(P + "port", KeyType.port(false), 8500, "Consul agent HTTP(S) port"));
  static final Key<String> SCHEME =
      DECLARED.add(
          Key.scalar(
              P + "scheme", KeyType.oneOf("http", "https"), "http", "http, or https for TLS"));
  static final Key<String> ACL_TOKEN =
      DECLARED.add(
          Key.scalar(
                  P + "acl_token",
                  KeyType.STRING,
                  null,
                  "ACL token, sent as the X-Consul-Token header (never logged)")
              .secret());
  static final Key<String> SVC =
      DECLARED.add(
          Key.scalar(
              P + "svc", ConsulSettings.NAME, "rabbitmq", "Service name registered in Consul"));
  static final Key<String> SVC_ADDR =
      DECLARED.add(
          Key.scalar(
              P + "svc_addr",
              KeyType.HOST_ADDRESS,
              null,
              "Service address to register when svc_addr_auto = false"));
  static final Key<Boolean> SVC_ADDR_AUTO =
      DECLARED.add(
          Key.scalar(
              P + "svc_addr_auto",
              KeyType.BOOLEAN,
              false,
              "Compute the service address (from the node name, the host name or a NIC)"));
  static final Key<String> SVC_ADDR_NIC =
      DECLARED.add(
          Key.scalar(
              P + "svc_addr_nic",
              ConsulSettings.NAME,
              null,
              "With svc_addr_auto: take the address of this network interface"));
  static final Key<Boolean> SVC_ADDR_USE_NODENAME =
      DECLARED.add(
          Key.scalar(
              P + "svc_addr_use_nodename",
              KeyType.BOOLEAN,
              true,
              "With svc_addr_auto: use the node name's host part (else the OS host name)"));
  static final Key<Boolean> USE_LONGNAME =
      DECLARED.add(
          Key.scalar(
              P + "use_longname",
              KeyType.BOOLEAN,
              false,
              "As RabbitMQ: an instance registered without an address is named after its Consul node"
                  + " as <node>.node.<domain_suffix> (else <node>)"));
  static final Key<Integer> SVC_PORT =
      DECLARED.add(
          Key.scalar(P + "svc_port", KeyType.port(false), 5672, "Service port to register"));
  static final Key<Duration> SVC_TTL =
      DECLARED.add(
          Key.scalar(
              P + "svc_ttl",
              KeyType.duration("s", Duration.ofSeconds(1), Duration.ofDays(1)),
              Duration.ofSeconds(30),
              "TTL of the service's health check; passed every TTL/2. Sessions use max(svc_ttl, 10s),"
                  + " Consul's minimum"));
  static final Key<Duration> DEREGISTER_AFTER =
      DECLARED.add(
          Key.scalar(
              P + "deregister_after",
              KeyType.duration("s", Duration.ofSeconds(60), Duration.ofDays(365)),
              null,
              "Consul reaps the service after its check was critical this long (Consul: >= 60 s)"));
  static final Key<List<String>> SVC_TAGS =
      DECLARED.add(Key.list(P + "svc_tags", KeyType.STRING, "Service tags"));
  static final Key<Map<String, String>> SVC_META =
      DECLARED.add(
          Key.map(P + "svc_meta", KeyType.STRING, "Service metadata, svc_meta.KEY = value"));
  static final Key<Boolean> INCLUDE_WARNINGS =
      DECLARED.add(
          Key.scalar(
              P + "include_nodes_with_warnings",
              KeyType.BOOLEAN,
              false,
              "Also discover instances whose checks are in the warning state"));
  static final Key<String> DOMAIN_SUFFIX =
      DECLARED.add(
          Key.scalar(
              P + "domain_suffix",
              KeyType.HOST_ADDRESS,
              "consul",
              "Consul's domain, for names taken from a Consul node name with use_longname"));
  static final Key<String> LOCK_PREFIX =
      DECLARED.add(
          Key.scalar(
              P + "lock_prefix",
              ConsulSettings.NAME,
              "rabbitmq",
              "KV prefix: the lock is {lock_prefix}/{cluster_name}/startup_lock"));
  static final Key<Duration> LOCK_TIMEOUT = DECLARED.add(CommonKeys.lockTimeout(P));
  static final Key<String> CLUSTER_NAME =
      DECLARED.add(
          CommonKeys.clusterName(
              P,
              ConsulSettings.NAME,
              "a Consul",
              "a service tag discovered with ?tag= (unless default) and in the lock path"));
  static final Key<Path> CACERTFILE = DECLARED.add(TLS_KEYS.caCertFile());
  static final Key<Path> CERTFILE = DECLARED.add(TLS_KEYS.certFile());
  static final Key<Path> KEYFILE = DECLARED.add(TLS_KEYS.keyFile());
  static final Key<String> VERIFY = DECLARED.add(TLS_KEYS.verify());

  static final List<Key<?>> KEYS = DECLARED.all();

  public ConsulBackendFactory() {
    super(
        "consul",
        List.of("rabbit_peer_discovery_consul"),
        "Consul: service with a TTL check, session lock in KV, blocking queries.",
        KEYS);
  }

  @Override
  public Backend create(BackendContext context) {
    ConsulSettings settings = ConsulSettings.from(context.settings(), context.localNode());
    return new ConsulBackend(settings, context.localNode(), context.instanceId(), context.vertx());
  }
}
