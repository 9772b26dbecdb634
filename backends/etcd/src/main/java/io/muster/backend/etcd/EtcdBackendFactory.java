package io.muster.backend.etcd;

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

/**
 * {@code etcd}: nodes register a key under a kept-alive lease, the formation decision is taken
 * under etcd's Lock RPC, and a per-cluster marker stops a later boot from seeding again. Keys and
 * defaults are those of RabbitMQ's etcd peer discovery plugin; {@code key_prefix}, {@code node_ttl}
 * and {@code lock_timeout} are honoured (RabbitMQ 3.10 drops them).
 */
public final class EtcdBackendFactory extends DeclaredFactory {

  /** Every key below, in declaration order: what keys() returns. */
  private static final KeySet DECLARED = new KeySet();

  private static final String P = "cluster_formation.etcd.";
  private static final CommonKeys.Tls TLS_KEYS = CommonKeys.tls(P, "etcd");
  private static final String TLS = P + "ssl_options.";

  static final Key<List<String>> ENDPOINTS =
      DECLARED.add(
          Key.list(
              P + "endpoints",
              EtcdSettings.ENDPOINT,
              "etcd endpoints (host:port, http://host:port or https://host:port); the first"
                  + " reachable one of a random order is used, the others on failure"));
  static final Key<String> HOST =
      DECLARED.add(
          Key.scalar(
              P + "host",
              KeyType.HOST_ADDRESS,
              "localhost",
              "Legacy single endpoint host, used when no endpoints.N is set"));
  static final Key<Integer> PORT =
      DECLARED.add(
          Key.scalar(P + "port", KeyType.port(false), 2379, "Legacy single endpoint port"));
  static final Key<String> SCHEME =
      DECLARED.add(
          Key.scalar(
              P + "scheme",
              KeyType.oneOf("http", "https"),
              "http",
              "Legacy scheme of host/port; https turns TLS on"));
  static final Key<String> KEY_PREFIX =
      DECLARED.add(
          Key.scalar(
              P + "key_prefix",
              EtcdSettings.PATH_SEGMENT,
              "rabbitmq",
              "{prefix} in /rabbitmq/discovery/{prefix}/clusters/{cluster_name}/nodes/{node}"));
  static final Key<String> CLUSTER_NAME =
      DECLARED.add(
          CommonKeys.clusterName(P, EtcdSettings.PATH_SEGMENT, "an etcd", "the key paths"));
  static final Key<Duration> NODE_TTL =
      DECLARED.add(
          Key.scalar(
              P + "node_ttl",
              KeyType.duration("s", Duration.ofSeconds(2), Duration.ofDays(1)),
              Duration.ofSeconds(30),
              "TTL of the node key's lease (and of the formation lock's lease); kept alive every"
                  + " TTL/3, so a dead agent's key vanishes within TTL"));
  static final Key<Duration> LOCK_TIMEOUT = DECLARED.add(CommonKeys.lockTimeout(P));
  static final Key<String> USERNAME =
      DECLARED.add(Key.scalar(P + "username", KeyType.STRING, null, "etcd user (with password)"));
  static final Key<String> PASSWORD =
      DECLARED.add(
          Key.scalar(P + "password", KeyType.STRING, null, "etcd password (with username)")
              .secret());
  static final Key<Path> CACERTFILE = DECLARED.add(TLS_KEYS.caCertFile());
  static final Key<Path> CERTFILE = DECLARED.add(TLS_KEYS.certFile());
  static final Key<Path> KEYFILE = DECLARED.add(TLS_KEYS.keyFile());
  static final Key<String> KEY_PASSWORD =
      DECLARED.add(
          Key.scalar(TLS + "password", KeyType.STRING, null, "Password of an encrypted keyfile")
              .secret());
  static final Key<String> VERIFY = DECLARED.add(TLS_KEYS.verify());
  static final Key<List<String>> VERSIONS =
      DECLARED.add(
          Key.list(
              TLS + "versions",
              KeyType.oneOf("tlsv1.2", "tlsv1.3"),
              "TLS versions to offer (default: the JVM's, TLS 1.2 and 1.3)"));
  static final Key<List<String>> CIPHERS =
      DECLARED.add(
          Key.list(TLS + "ciphers", KeyType.STRING, "Cipher suites to offer (default: the JVM's)"));
  static final Key<String> SERVER_NAME_INDICATION =
      DECLARED.add(
          Key.scalar(
              TLS + "server_name_indication",
              KeyType.HOST_ADDRESS,
              null,
              "Host name to send (SNI) and verify instead of the endpoint's"));
  static final Key<String> FAIL_IF_NO_PEER_CERT =
      DECLARED.add(
          Key.ignored(
              TLS + "fail_if_no_peer_cert", "a server-side option; Muster is a TLS client"));
  static final Key<String> SECURE_RENEGOTIATE =
      DECLARED.add(
          Key.ignored(TLS + "secure_renegotiate", "the JVM never renegotiates insecurely"));
  static final Key<String> HONOR_CIPHER_ORDER =
      DECLARED.add(
          Key.ignored(TLS + "honor_cipher_order", "a server-side option; Muster is a TLS client"));
  static final Key<String> DEPTH =
      DECLARED.add(Key.ignored(TLS + "depth", "the JVM's PKIX validation bounds the chain"));

  static final List<Key<?>> KEYS = DECLARED.all();

  public EtcdBackendFactory() {
    super(
        "etcd",
        List.of("rabbit_peer_discovery_etcd"),
        "etcd v3: node keys under kept-alive leases, Lock RPC formation lock, watch.",
        KEYS);
  }

  @Override
  public Backend create(BackendContext context) {
    EtcdSettings settings = EtcdSettings.from(context.settings());
    return new EtcdBackend(settings, context.localNode(), context.instanceId(), context.vertx());
  }
}
