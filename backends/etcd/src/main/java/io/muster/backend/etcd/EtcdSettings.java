package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdBackendFactory.*;

import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The etcd backend's validated settings. Cross-field rules are checked here so that a bad
 * combination stops start-up with the key and its line. {@link #toString()} never shows secrets.
 */
record EtcdSettings(
    List<URI> endpoints,
    boolean tls,
    String keyPrefix,
    String clusterName,
    Duration nodeTtl,
    Duration lockTimeout,
    Optional<String> username,
    Optional<String> password,
    Tls tlsOptions) {

  /** TLS client options; all optional. */
  record Tls(
      Optional<Path> caCert,
      Optional<Path> cert,
      Optional<Path> key,
      Optional<String> keyPassword,
      boolean verifyPeer,
      List<String> versions,
      List<String> ciphers,
      Optional<String> serverName) {

    boolean anySet() {
      return caCert.isPresent()
          || cert.isPresent()
          || key.isPresent()
          || !verifyPeer
          || !versions.isEmpty()
          || !ciphers.isEmpty()
          || serverName.isPresent();
    }

    @Override
    public String toString() {
      return "Tls[caCert="
          + caCert
          + ", cert="
          + cert
          + ", key="
          + key
          + ", keyPassword="
          + keyPassword.map(p -> "(set)")
          + ", verifyPeer="
          + verifyPeer
          + ", versions="
          + versions
          + "]";
    }
  }

  private static final Pattern HOST_PORT =
      Pattern.compile("(?:(https?)://)?(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+):(\\d{1,5})/?");

  /** {@code host:port}, {@code http://host:port} or {@code https://host:port}. */
  static final KeyType<String> ENDPOINT =
      KeyType.of(
          "endpoint (host:port, http://host:port or https://host:port)",
          raw -> {
            var m = HOST_PORT.matcher(raw.trim());
            if (!m.matches()
                || Integer.parseInt(m.group(3)) < 1
                || Integer.parseInt(m.group(3)) > 65535) {
              throw new IllegalArgumentException(
                  "host:port, http://host:port or https://host:port");
            }
            return raw.trim();
          });

  /** One path segment of an etcd key: no '/', no whitespace or control characters. */
  static final KeyType<String> PATH_SEGMENT =
      KeyType.of(
          "key segment (letters, digits, . _ - @ :)",
          raw -> {
            if (!raw.matches("[A-Za-z0-9._@:-]{1,128}")) {
              throw new IllegalArgumentException(
                  "1-128 letters, digits or . _ - @ : (it becomes one segment of an etcd key)");
            }
            return raw;
          });

  static EtcdSettings from(Settings s) {
    Tls tls =
        new Tls(
            s.find(CACERTFILE),
            s.find(CERTFILE),
            s.find(KEYFILE),
            s.find(KEY_PASSWORD),
            "verify_peer".equals(s.get(VERIFY)),
            s.get(VERSIONS),
            s.get(CIPHERS),
            s.find(SERVER_NAME_INDICATION));
    List<String> raw = s.get(ENDPOINTS);
    Key<?> endpointKey = ENDPOINTS;
    if (raw.isEmpty()) {
      String host = s.get(HOST);
      // Without an explicit scheme, ssl_options alone turn TLS on (as for endpoints.N).
      String scheme = s.find(SCHEME).orElse(tls.anySet() ? "https" : "http");
      raw =
          List.of(
              scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + s.get(PORT));
      endpointKey = s.find(SCHEME).isPresent() ? SCHEME : s.origin(HOST).isPresent() ? HOST : PORT;
    }
    boolean anyHttps = raw.stream().anyMatch(e -> e.startsWith("https://"));
    boolean anyHttp = raw.stream().anyMatch(e -> e.startsWith("http://"));
    if (anyHttps && anyHttp) {
      throw new InvalidSettingException(
          endpointKey,
          "endpoints that all use TLS or all do not (both http:// and https:// given)");
    }
    boolean useTls = anyHttps || tls.anySet();
    if (anyHttp && tls.anySet()) {
      throw new InvalidSettingException(
          endpointKey,
          "https:// or bare host:port endpoints when ssl_options are set (TLS is on), not http://");
    }
    List<URI> endpoints = new ArrayList<>();
    for (String e : raw) {
      String bare = e.replaceFirst("^https?://", "").replaceFirst("/$", "");
      endpoints.add(URI.create((useTls ? "https://" : "http://") + bare));
    }
    if (s.find(USERNAME).isPresent() != s.find(PASSWORD).isPresent()) {
      throw new InvalidSettingException(
          s.find(USERNAME).isPresent() ? USERNAME : PASSWORD,
          "username and password set together (only one of them is set)");
    }
    if (tls.cert().isPresent() != tls.key().isPresent()) {
      throw new InvalidSettingException(
          tls.cert().isPresent() ? CERTFILE : KEYFILE,
          "certfile and keyfile set together (only one of them is set)");
    }
    readable(CACERTFILE, tls.caCert());
    readable(CERTFILE, tls.cert());
    readable(KEYFILE, tls.key());
    return new EtcdSettings(
        List.copyOf(endpoints),
        useTls,
        s.get(KEY_PREFIX),
        s.get(CLUSTER_NAME),
        s.get(NODE_TTL),
        s.get(LOCK_TIMEOUT),
        s.find(USERNAME),
        s.find(PASSWORD),
        tls);
  }

  private static void readable(Key<Path> key, Optional<Path> file) {
    if (file.isPresent() && !Files.isReadable(file.get())) {
      throw new InvalidSettingException(key, "a readable file (" + file.get() + " is not)");
    }
  }

  /** Endpoints as operators wrote them, for messages. */
  String endpointList() {
    return endpoints.toString();
  }

  @Override
  public String toString() {
    return "EtcdSettings[endpoints="
        + endpoints
        + ", tls="
        + tls
        + ", keyPrefix="
        + keyPrefix
        + ", clusterName="
        + clusterName
        + ", nodeTtl="
        + nodeTtl
        + ", lockTimeout="
        + lockTimeout
        + ", username="
        + username
        + ", password="
        + password.map(p -> "(set)")
        + ", "
        + tlsOptions
        + "]";
  }
}
