package io.muster.backend.consul;

import static io.muster.backend.consul.ConsulBackendFactory.*;

import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.NodeName;
import io.muster.spi.Settings;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Consul backend's validated settings. The service address is computed here, once, the way
 * RabbitMQ's plugin documents it. {@link #toString()} never shows the ACL token.
 */
record ConsulSettings(
    URI base,
    Optional<String> aclToken,
    String service,
    String serviceId,
    Optional<String> serviceAddress,
    int servicePort,
    Duration ttl,
    Optional<Duration> deregisterAfter,
    List<String> tags,
    Map<String, String> meta,
    boolean includeWarnings,
    boolean useLongname,
    String domain,
    String lockPrefix,
    String clusterName,
    Duration lockTimeout,
    Tls tls) {

  /** TLS client options for an https Consul. */
  record Tls(Optional<Path> caCert, Optional<Path> cert, Optional<Path> key, boolean verifyPeer) {}

  /** Consul's minimum session TTL. */
  static final Duration MIN_SESSION_TTL = Duration.ofSeconds(10);

  /** A service, interface or KV path segment name. */
  static final KeyType<String> NAME =
      KeyType.of(
          "name (letters, digits, . _ -)",
          raw -> {
            if (!raw.matches("[A-Za-z0-9._-]{1,128}")) {
              throw new IllegalArgumentException("1-128 letters, digits or . _ -");
            }
            return raw;
          });

  static ConsulSettings from(Settings s, NodeName self) {
    String host = s.get(HOST);
    URI base =
        URI.create(
            s.get(SCHEME)
                + "://"
                + (host.contains(":") ? "[" + host + "]" : host)
                + ":"
                + s.get(PORT));
    Tls tls =
        new Tls(
            s.find(CACERTFILE),
            s.find(CERTFILE),
            s.find(KEYFILE),
            "verify_peer".equals(s.get(VERIFY)));
    if (tls.cert().isPresent() != tls.key().isPresent()) {
      throw new InvalidSettingException(
          tls.cert().isPresent() ? CERTFILE : KEYFILE,
          "certfile and keyfile set together (only one of them is set)");
    }
    if ("http".equals(s.get(SCHEME))
        && (tls.caCert().isPresent() || tls.cert().isPresent() || !tls.verifyPeer())) {
      throw new InvalidSettingException(
          SCHEME, "https when ssl_options are set (they are unused over http)");
    }
    readable(CACERTFILE, tls.caCert());
    readable(CERTFILE, tls.cert());
    readable(KEYFILE, tls.key());
    Optional<String> address = address(s, self);
    String service = s.get(SVC);
    return new ConsulSettings(
        base,
        s.find(ACL_TOKEN),
        service,
        service + ":" + address.orElse(self.host()),
        address,
        s.get(SVC_PORT),
        s.get(SVC_TTL),
        s.find(DEREGISTER_AFTER),
        registrationTags(s.get(CLUSTER_NAME), s.get(SVC_TAGS)),
        s.get(SVC_META),
        s.get(INCLUDE_WARNINGS),
        s.get(USE_LONGNAME),
        s.get(DOMAIN_SUFFIX),
        s.get(LOCK_PREFIX),
        s.get(CLUSTER_NAME),
        s.get(LOCK_TIMEOUT),
        tls);
  }

  /**
   * The service's tags, as RabbitMQ's plugin registers them: the cluster name first (unless it is
   * {@code default}), then svc_tags.
   */
  static List<String> registrationTags(String clusterName, List<String> svcTags) {
    if (DEFAULT_CLUSTER.equals(clusterName)) {
      return svcTags;
    }
    List<String> tags = new ArrayList<>(List.of(clusterName));
    svcTags.stream().filter(t -> !t.equals(clusterName)).forEach(tags::add);
    return List.copyOf(tags);
  }

  static final String DEFAULT_CLUSTER = "default";

  /**
   * The query that lists this cluster's instances: {@code ?tag=<cluster_name>} unless the name is
   * {@code default} (RabbitMQ's plugin asks the same), so clusters sharing a service name do not
   * see each other.
   */
  Map<String, String> clusterQuery() {
    return DEFAULT_CLUSTER.equals(clusterName) ? Map.of() : Map.of("tag", clusterName);
  }

  /** RabbitMQ's rules: svc_addr as given, or computed from the node name, host name or a NIC. */
  private static Optional<String> address(Settings s, NodeName self) {
    if (!s.get(SVC_ADDR_AUTO)) {
      return s.find(SVC_ADDR);
    }
    Optional<String> nic = s.find(SVC_ADDR_NIC);
    if (nic.isPresent()) {
      return Optional.of(nicAddress(nic.get()));
    }
    if (s.get(SVC_ADDR_USE_NODENAME)) {
      return Optional.of(self.host());
    }
    try {
      return Optional.of(InetAddress.getLocalHost().getHostName());
    } catch (UnknownHostException e) {
      throw new InvalidSettingException(
          SVC_ADDR_AUTO, "a resolvable host name, or svc_addr_use_nodename = true");
    }
  }

  private static String nicAddress(String name) {
    try {
      NetworkInterface nic = NetworkInterface.getByName(name);
      if (nic != null) {
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return a.getHostAddress();
          }
        }
      }
    } catch (SocketException e) {
      // reported below
    }
    throw new InvalidSettingException(
        SVC_ADDR_NIC, "a network interface with an IPv4 address (" + name + " has none here)");
  }

  private static void readable(Key<Path> key, Optional<Path> file) {
    if (file.isPresent() && !Files.isReadable(file.get())) {
      throw new InvalidSettingException(key, "a readable file (" + file.get() + " is not)");
    }
  }

  /** Session TTL: svc_ttl, raised to Consul's 10 s minimum. */
  Duration sessionTtl() {
    return ttl.compareTo(MIN_SESSION_TTL) < 0 ? MIN_SESSION_TTL : ttl;
  }

  String lockKey() {
    return lockPrefix + "/" + clusterName + "/startup_lock";
  }

  String markerKey() {
    return lockPrefix + "/" + clusterName + "/formation";
  }

  /** Where {@code muster formation retire} records a retired cluster id. */
  String retiredKey(String clusterId) {
    return lockPrefix + "/" + clusterName + "/retired/" + clusterId;
  }

  String checkId() {
    return "service:" + serviceId;
  }

  @Override
  public String toString() {
    return "ConsulSettings[base="
        + base
        + ", aclToken="
        + aclToken.map(t -> "(set)")
        + ", service="
        + service
        + ", serviceId="
        + serviceId
        + ", ttl="
        + ttl
        + ", lock="
        + lockKey()
        + "]";
  }
}
