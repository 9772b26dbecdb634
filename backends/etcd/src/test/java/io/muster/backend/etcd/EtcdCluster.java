package io.muster.backend.etcd;

import static org.awaitility.Awaitility.await;

import io.muster.testing.Timing;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Test fixture: real etcd members (Debian's etcd-server, installed by scripts/install-test-deps) as
 * child processes on free 127.0.0.1 ports, with the fast raft timings of test-servers.md. Register
 * with {@code @RegisterExtension}; members can be killed and restarted on the same ports and data.
 * Optionally TLS with client certificates ({@link TestCerts}), or serving clients on one more
 * address (a {@link NetNamespace}'s host end). Outside JUnit's lifecycle: {@link #startAll()} and
 * {@link #close()}.
 */
public final class EtcdCluster implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();

  private final int size;
  private final TestCerts certs;
  private final String extraHost;
  private final List<Member> members = new ArrayList<>();
  private Path dir;

  private EtcdCluster(int size, TestCerts certs, String extraHost) {
    this.size = size;
    this.certs = certs;
    this.extraHost = extraHost;
  }

  private EtcdCluster(int size, TestCerts certs) {
    this(size, certs, null);
  }

  public static EtcdCluster single() {
    return new EtcdCluster(1, null);
  }

  static EtcdCluster three() {
    return new EtcdCluster(3, null);
  }

  /**
   * One member serving clients on 127.0.0.1 and also on {@code host} (same port), e.g. the host end
   * of a {@link NetNamespace}, so that agents inside the namespace reach it; the address must exist
   * before {@link #startAll()}.
   */
  static EtcdCluster singleAlsoOn(String host) {
    return new EtcdCluster(1, null, host);
  }

  /** One member speaking TLS only, requiring client certificates signed by the test CA. */
  public static EtcdCluster tls(TestCerts certs) {
    return new EtcdCluster(1, certs);
  }

  private static final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    final int metricsPort;
    Process process;

    Member(String name) {
      this.name = name;
      this.clientPort = freePort();
      this.peerPort = freePort();
      this.metricsPort = freePort();
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    startAll();
  }

  /** Starts every member and waits until they are healthy. */
  public void startAll() throws IOException, InterruptedException {
    dir = Files.createTempDirectory("muster-etcd");
    if (certs != null) {
      certs.create(dir.resolve("certs"));
    }
    for (int i = 1; i <= size; i++) {
      members.add(new Member("e" + i));
    }
    // Staggered start (launch, wait until it serves, launch the next): fastest per test-servers.md.
    for (int i = 0; i < size; i++) {
      start(i, true);
    }
    awaitHealthy();
  }

  private String scheme() {
    return certs == null ? "http" : "https";
  }

  public String clientUrl(int i) {
    return scheme() + "://127.0.0.1:" + members.get(i).clientPort;
  }

  /** Config lines pointing an agent at every member. */
  String endpointsConfig() {
    return endpointsConfig("127.0.0.1");
  }

  /** Config lines pointing an agent at every member through {@code host} (127.0.0.1 or extra). */
  String endpointsConfig(String host) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < members.size(); i++) {
      b.append("cluster_formation.etcd.endpoints.")
          .append(i + 1)
          .append(" = ")
          .append(host)
          .append(':')
          .append(members.get(i).clientPort)
          .append('\n');
    }
    return b.toString();
  }

  List<String> clientUrls() {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      urls.add(clientUrl(i));
    }
    return urls;
  }

  Path dir() {
    return dir;
  }

  /** Starts member {@code i} (again), on its ports and data dir. */
  void start(int i, boolean initial) throws IOException {
    Member m = members.get(i);
    String initialCluster =
        members.stream()
            .map(x -> x.name + "=http://127.0.0.1:" + x.peerPort)
            .collect(Collectors.joining(","));
    String clientUrls = clientUrl(i);
    if (extraHost != null) {
      clientUrls += "," + scheme() + "://" + extraHost + ":" + m.clientPort;
    }
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            "etcd",
            "--name",
            m.name,
            "--data-dir",
            dir.resolve(m.name).toString(),
            "--listen-client-urls",
            clientUrls,
            "--advertise-client-urls",
            clientUrls,
            "--listen-peer-urls",
            "http://127.0.0.1:" + m.peerPort,
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:" + m.peerPort,
            "--listen-metrics-urls",
            "http://127.0.0.1:" + m.metricsPort,
            "--initial-cluster",
            initialCluster,
            "--initial-cluster-token",
            "muster-" + dir.getFileName(),
            "--initial-cluster-state",
            "new",
            "--heartbeat-interval",
            "25",
            "--election-timeout",
            "250"));
    if (certs != null) {
      cmd.addAll(
          List.of(
              "--cert-file",
              certs.serverCert().toString(),
              "--key-file",
              certs.serverKey().toString(),
              "--trusted-ca-file",
              certs.ca().toString(),
              "--client-cert-auth"));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(m.name + ".log").toFile()));
    try {
      m.process = pb.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot start etcd (is Debian's etcd-server installed? run scripts/install-test-deps): "
              + e.getMessage(),
          e);
    }
    if (initial) {
      // The next member is launched once this one serves HTTP at all (staggered start); /health
      // answers 503 until there is a leader.
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(20)))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> serving(m));
    }
  }

  /** {@code etcdctl snapshot save} of a one-member cluster into {@code file}. */
  void snapshot(Path file) throws IOException, InterruptedException {
    etcdctl("snapshot", "save", file.toString());
  }

  /**
   * Restores a one-member cluster to {@code snapshot} as an operator would: the member is stopped,
   * its data dir replaced by {@code etcdctl snapshot restore}, and it is started again on the same
   * ports (clients reconnect; revisions go back in time).
   */
  void restore(Path snapshot) throws IOException, InterruptedException {
    Member m = members.get(0);
    kill(0);
    Path data = dir.resolve(m.name);
    try (java.util.stream.Stream<Path> walk = Files.walk(data)) {
      for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
    etcdctl(
        "snapshot",
        "restore",
        snapshot.toString(),
        "--name",
        m.name,
        "--data-dir",
        data.toString(),
        "--initial-cluster",
        m.name + "=http://127.0.0.1:" + m.peerPort,
        "--initial-cluster-token",
        "muster-" + dir.getFileName(),
        "--initial-advertise-peer-urls",
        "http://127.0.0.1:" + m.peerPort);
    start(0, true);
    awaitHealthy();
  }

  /** SIGKILL of member {@code i}; waits for the process to be gone. */
  void kill(int i) throws InterruptedException {
    Member m = members.get(i);
    m.process.destroyForcibly();
    m.process.waitFor(10, TimeUnit.SECONDS);
  }

  void awaitHealthy() {
    for (Member m : members) {
      if (m.process != null && m.process.isAlive()) {
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .pollInterval(Duration.ofMillis(20))
            .until(() -> health(m));
      }
    }
  }

  private static boolean health(Member m) {
    try {
      HttpResponse<String> r = get(m, "/health");
      return r.statusCode() == 200 && r.body().contains("\"health\":\"true\"");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean serving(Member m) {
    try {
      return get(m, "/health").statusCode() > 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The metrics listener serves /health over plain HTTP, even for a TLS member. */
  private static HttpResponse<String> get(Member m, String path)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.metricsPort + path))
            .timeout(Duration.ofMillis(1500))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Runs etcdctl against member 0 (with the test client certificate when TLS is on). */
  String etcdctl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", clientUrl(0)));
    if (certs != null) {
      cmd.addAll(
          List.of(
              "--cacert",
              certs.ca().toString(),
              "--cert",
              certs.clientCert().toString(),
              "--key",
              certs.clientKey().toString()));
    }
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("ETCDCTL_API", "3");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("etcdctl " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    close();
  }

  private io.etcd.jetcd.Client client;

  /**
   * A jetcd client on every member (plain, not TLS), for tests that read or write keys directly;
   * made on first use and closed with the cluster.
   */
  synchronized io.etcd.jetcd.Client client() {
    if (client == null) {
      client =
          io.etcd.jetcd.Client.builder().endpoints(clientUrls().toArray(String[]::new)).build();
    }
    return client;
  }

  /** Kills every member and deletes their data. */
  @Override
  public void close() throws IOException, InterruptedException {
    synchronized (this) {
      if (client != null) {
        client.close();
        client = null;
      }
    }
    for (Member m : members) {
      if (m.process != null) {
        m.process.destroyForcibly();
        m.process.waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (dir != null) {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
