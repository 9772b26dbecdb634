package io.muster.spi.support;

import io.muster.spi.Key;
import io.muster.spi.KeyType;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Keys that more than one backend reads with the same meaning, declared once: the cluster name that
 * keeps clusters sharing a store apart, the formation lock's time-out and the TLS client files of a
 * store reached over TLS (etcd, Consul). Each backend adds them under its own prefix ({@code
 * cluster_formation.etcd.}).
 */
public final class CommonKeys {

  private CommonKeys() {}

  /**
   * {@code <prefix>cluster_name}, RabbitMQ's default {@code default}: what keeps clusters sharing
   * one {@code store} apart. {@code type} is what the store accepts where the name goes; {@code
   * use} says where it goes (one clause, e.g. "the key path").
   */
  public static Key<String> clusterName(
      String prefix, KeyType<String> type, String store, String use) {
    return Key.scalar(
        prefix + "cluster_name",
        type,
        "default",
        "Cluster name, in " + use + ": clusters sharing " + store + " must use different names");
  }

  /** {@code <prefix>lock_timeout} (alias {@code lock_wait_time}), RabbitMQ's 300 s default. */
  public static Key<Duration> lockTimeout(String prefix) {
    return Key.scalar(
            prefix + "lock_timeout",
            KeyType.duration("s", Duration.ofSeconds(1), Duration.ofDays(1)),
            Duration.ofSeconds(300),
            "How long to wait for the formation lock before counting a failed attempt.")
        .withAliases(prefix + "lock_wait_time");
  }

  /** The TLS client keys under {@code <prefix>ssl_options.}, for a server called {@code server}. */
  public record Tls(
      Key<Path> caCertFile, Key<Path> certFile, Key<Path> keyFile, Key<String> verify) {}

  public static Tls tls(String prefix, String server) {
    String p = prefix + "ssl_options.";
    return new Tls(
        Key.scalar(
            p + "cacertfile",
            KeyType.PATH,
            null,
            "PEM CA bundle that signed "
                + server
                + "'s certificate (default: the JVM's trust store)"),
        Key.scalar(p + "certfile", KeyType.PATH, null, "PEM client certificate (with keyfile)"),
        Key.scalar(
            p + "keyfile",
            KeyType.PATH,
            null,
            "PEM PKCS#8 private key of certfile (convert PKCS#1 with openssl pkcs8 -topk8)"),
        Key.scalar(
            p + "verify",
            KeyType.oneOf("verify_peer", "verify_none"),
            "verify_peer",
            "verify_peer checks "
                + server
                + "'s certificate chain and host name; verify_none disables it (logged as a"
                + " warning)"));
  }
}
