package io.muster.backend.dns;

import static io.muster.backend.dns.DnsBackendFactory.*;

import io.muster.spi.InvalidSettingException;
import io.muster.spi.KeyType;
import io.muster.spi.Settings;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The DNS backend's validated settings. */
record DnsSettings(
    String hostname,
    boolean srv,
    boolean aFallback,
    List<InetSocketAddress> servers,
    Duration timeout,
    List<String> search) {

  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+)(?::(\\d{1,5}))?");

  /** A DNS name; labels may start with '_' (SRV names such as _amqp._tcp.svc.example). */
  static final KeyType<String> DNS_NAME =
      KeyType.of(
          "DNS name",
          raw -> {
            String n = raw.trim();
            if (!n.matches(
                    "([A-Za-z0-9_]([A-Za-z0-9_-]{0,62})\\.)*[A-Za-z0-9_][A-Za-z0-9_-]{0,62}\\.?")
                || n.length() > 253) {
              throw new IllegalArgumentException("a DNS name such as peers.example.local");
            }
            return n;
          });

  /** {@code host} or {@code host:port} ({@code [v6]:port}); port 53 by default. */
  static final KeyType<String> SERVER =
      KeyType.of(
          "server (host or host:port)",
          raw -> {
            Matcher m = HOST_PORT.matcher(raw.trim());
            if (!m.matches()
                || m.group(2) != null
                    && (Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535)) {
              throw new IllegalArgumentException("host or host:port, e.g. 10.0.0.2:53");
            }
            return raw.trim();
          });

  static DnsSettings from(Settings s) {
    String hostname =
        s.find(HOSTNAME)
            .orElseThrow(
                () ->
                    new InvalidSettingException(
                        HOSTNAME, "a DNS name to resolve (the dns backend has nothing to ask)"));
    String mode = s.get(MODE);
    boolean srv = "srv".equals(mode) || "auto".equals(mode) && hostname.startsWith("_");
    List<InetSocketAddress> servers = new ArrayList<>();
    for (String raw : s.get(SERVERS)) {
      Matcher m = HOST_PORT.matcher(raw);
      m.matches();
      String host = m.group(1).replaceAll("^\\[|]$", "");
      int port = m.group(2) == null ? 53 : Integer.parseInt(m.group(2));
      servers.add(InetSocketAddress.createUnresolved(host, port));
    }
    return new DnsSettings(
        hostname, srv, "auto".equals(mode), List.copyOf(servers), s.get(TIMEOUT), s.get(SEARCH));
  }
}
