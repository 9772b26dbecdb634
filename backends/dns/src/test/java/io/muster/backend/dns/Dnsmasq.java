package io.muster.backend.dns;

import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Test fixture: a real dnsmasq (Debian's dnsmasq-base, installed by scripts/install-test-deps) on a
 * free 127.0.0.1 port (UDP and TCP), authoritative for {@code test.local} and the reverse zones.
 * Host records live in a hosts directory that dnsmasq watches (changes show within ~50 ms); SRV and
 * {@code address=} lines are config and need {@link #restart}.
 */
final class Dnsmasq implements BeforeAllCallback, AfterAllCallback {

  private final List<String> extraConfig = new ArrayList<>();
  private Path dir;
  private int port;
  private Process process;

  Dnsmasq config(String line) {
    extraConfig.add(line);
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("muster-dnsmasq");
    Files.createDirectories(dir.resolve("hosts"));
    port = freeUdpAndTcpPort();
    hosts("");
    start();
  }

  int port() {
    return port;
  }

  String server() {
    return "127.0.0.1:" + port;
  }

  /** Replaces the hosts records (lines of "address name [alias...]"), atomically. */
  void hosts(String lines) throws IOException {
    Path tmp = dir.resolve("hosts.tmp");
    Files.writeString(tmp, lines);
    Files.move(tmp, dir.resolve("hosts").resolve("records"), StandardCopyOption.ATOMIC_MOVE);
  }

  void start() throws IOException {
    StringBuilder conf = new StringBuilder();
    for (String line :
        List.of(
            "port=" + port,
            "listen-address=127.0.0.1",
            "bind-interfaces",
            "no-resolv",
            "no-hosts",
            "no-poll",
            "pid-file=",
            "user=" + System.getProperty("user.name"),
            "local=/test.local/",
            "local=/in-addr.arpa/",
            "local=/ip6.arpa/",
            "hostsdir=" + dir.resolve("hosts"),
            "local-ttl=0",
            "edns-packet-max=1232",
            "no-negcache")) {
      conf.append(line).append('\n');
    }
    extraConfig.forEach(l -> conf.append(l).append('\n'));
    Files.writeString(dir.resolve("dnsmasq.conf"), conf.toString());
    process =
        new ProcessBuilder(
                "dnsmasq",
                "--conf-file=" + dir.resolve("dnsmasq.conf"),
                "--keep-in-foreground",
                "--log-facility=-")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dnsmasq.log").toFile()))
            .start();
    SimpleResolver probe = new SimpleResolver(new InetSocketAddress("127.0.0.1", port));
    probe.setTimeout(Duration.ofMillis(200));
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .pollInterval(Duration.ofMillis(20))
        .ignoreExceptions()
        .until(
            () -> {
              Message q =
                  Message.newQuery(
                      Record.newRecord(Name.fromString("ready.test.local."), Type.A, 1));
              return probe.send(q) != null;
            });
  }

  void stop() throws InterruptedException {
    if (process != null) {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
      process = null;
    }
  }

  void restart() throws Exception {
    stop();
    start();
  }

  static int freeUdpAndTcpPort() throws IOException {
    for (int i = 0; i < 50; i++) {
      try (ServerSocket tcp = new ServerSocket()) {
        tcp.bind(new InetSocketAddress("127.0.0.1", 0));
        int p = tcp.getLocalPort();
        try (DatagramSocket udp = new DatagramSocket(p, InetAddress.getByName("127.0.0.1"))) {
          return p;
        } catch (IOException e) {
          // taken on UDP: try another
        }
      }
    }
    throw new IOException("no port free on both UDP and TCP");
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    stop();
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
