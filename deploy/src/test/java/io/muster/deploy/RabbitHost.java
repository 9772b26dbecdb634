package io.muster.deploy;

import static org.awaitility.Awaitility.await;

import io.muster.testing.Ports;
import io.muster.testing.Timing;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Real RabbitMQ 3.10 nodes on one machine, as test-servers.md describes: one shared Erlang cookie
 * (HOME), one epmd of our own on a free port (so no stray epmd on 4369), and per node its own
 * names, ports and directories under one temporary base. Everything started is stopped by PID at
 * the end, and the end checks that no beam or epmd of ours is left.
 */
final class RabbitHost implements AutoCloseable {

  static final Path RABBIT_BIN = Path.of("/usr/lib/rabbitmq/bin");
  static final Path MUSTER_JAR = Path.of("target/muster.jar").toAbsolutePath();
  static final Path WRAPPER = Path.of("rabbitmq/rabbitmq-server-muster").toAbsolutePath();

  /** RabbitMQ's muster_peer_discovery module as the build compiled it (where erlc exists). */
  static final Path EBIN = Path.of("target/ebin").toAbsolutePath();

  /** The JVM flags of a small sidecar (bounded heap, serial GC, C1 only: fast start on 2 cores). */
  static final List<String> SIDECAR_JVM =
      List.of(
          "-Xms16m",
          "-Xmx64m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-XX:CICompilerCount=1",
          "-Xss512k",
          "-XX:ReservedCodeCacheSize=16m",
          "-XX:MaxMetaspaceSize=96m",
          "-XX:+ExitOnOutOfMemoryError");

  /** The sidecar flags plus the class-data archive once {@link #archiveClasses} made one. */
  List<String> musterJvm = SIDECAR_JVM;

  final Path base;
  final int epmdPort;
  private final Process epmd;
  private final List<RabbitNode> nodes = new ArrayList<>();

  RabbitHost() throws IOException {
    base = Files.createTempDirectory("muster-rabbit");
    Path cookie = base.resolve(".erlang.cookie");
    Files.writeString(cookie, "muster-e2e-" + ProcessHandle.current().pid());
    Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
    epmdPort = Ports.freeOnLoopbacks(1);
    ProcessBuilder pb =
        new ProcessBuilder("epmd", "-port", Integer.toString(epmdPort))
            .redirectErrorStream(true)
            .redirectOutput(base.resolve("epmd.log").toFile());
    // loopback only; 127.0.0.2-9 for nodes with long names on addresses of their own
    pb.environment().put("ERL_EPMD_ADDRESS", LOOPBACKS);
    epmd = pb.start();
    await("epmd on 127.0.0.1:" + epmdPort)
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .until(() -> open(epmdPort));
  }

  /**
   * Makes a class-data-sharing archive of the classes {@code muster exec} loads (as an install step
   * would), by running it once on {@code conf} with a child that exits at once. Later agents map
   * the archive instead of loading and verifying those classes: about 0.5 s less per start here.
   */
  void archiveClasses(Path conf) throws IOException, InterruptedException {
    Path jsa = base.resolve("muster.jsa");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(SIDECAR_JVM);
    cmd.add("-XX:ArchiveClassesAtExit=" + jsa);
    cmd.addAll(
        List.of("-jar", MUSTER_JAR.toString(), "exec", "--config", conf.toString(), "--", "true"));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(base.resolve("archive.out").toFile())
            .start();
    if (p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) && Files.exists(jsa)) {
      List<String> flags = new ArrayList<>(SIDECAR_JVM);
      flags.add("-XX:SharedArchiveFile=" + jsa);
      musterJvm = List.copyOf(flags);
    } else {
      p.destroyForcibly();
    }
  }

  static boolean available() {
    return Files.isExecutable(RABBIT_BIN.resolve("rabbitmq-server"));
  }

  RabbitNode node(String name) throws IOException {
    RabbitNode n = new RabbitNode(this, name);
    nodes.add(n);
    return n;
  }

  /** A node with the long name {@code name@address}, {@code address} one of 127.0.0.2-9. */
  RabbitNode node(String name, String address) throws IOException {
    RabbitNode n = new RabbitNode(this, name, address);
    nodes.add(n);
    return n;
  }

  static final String LOOPBACKS =
      "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9";

  /** The environment every node, CLI call and muster process on this host shares. */
  Map<String, String> env() {
    return Map.of("HOME", base.toString(), "ERL_EPMD_PORT", Integer.toString(epmdPort));
  }

  static boolean open(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Our beam and epmd processes still alive (their command lines name our base directory). */
  List<ProcessHandle> leftovers() {
    String marker = base.toString();
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(
            h ->
                h.info().arguments().map(a -> String.join(" ", a).contains(marker)).orElse(false)
                    || h.pid() == epmd.pid())
        .toList();
  }

  @Override
  public void close() throws IOException {
    for (RabbitNode n : nodes) {
      n.stop();
    }
    epmd.destroy();
    try {
      epmd.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<ProcessHandle> left = leftovers();
    left.forEach(ProcessHandle::destroyForcibly);
    if (!left.isEmpty()) {
      throw new IllegalStateException(
          "processes left behind: "
              + left.stream().map(h -> h.pid() + " " + h.info().command().orElse("?")).toList());
    }
    if (System.getenv("MUSTER_E2E_KEEP") != null) {
      System.out.println("[e2e] MUSTER_E2E_KEEP is set: logs kept in " + base);
      return;
    }
    try (Stream<Path> walk = Files.walk(base)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
