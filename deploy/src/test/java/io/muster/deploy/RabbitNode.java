package io.muster.deploy;

import io.muster.process.Commands;
import io.muster.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One RabbitMQ node of a {@link RabbitHost}: its name, ports and directories, started bare, with
 * RabbitMQ's own etcd plugin, or under {@code muster exec}; asked for its cluster with {@code
 * rabbitmqctl cluster_status --formatter json}; stopped by PID.
 */
final class RabbitNode {

  final RabbitHost host;
  final String name;
  final int amqpPort;
  final int distPort;
  final int apiPort;
  final Path dir;
  final Path confd;
  private Process process;
  private List<ProcessHandle> tree = List.of();
  private List<String> outlived = List.of();

  /** True for a long name on its own loopback address ({@code d1@127.0.0.2}). */
  final boolean longName;

  RabbitNode(RabbitHost host, String shortName) throws IOException {
    this(host, shortName, null);
  }

  /**
   * A node named {@code shortName@localhost}, or, with {@code address} (a 127.0.0.x of its own),
   * the long name {@code shortName@address}: agents that ask each other on the peer port (lockless
   * and declarative modes) need a host each, as their node names say where to ask.
   */
  RabbitNode(RabbitHost host, String shortName, String address) throws IOException {
    this.host = host;
    this.longName = address != null;
    this.name = shortName + "@" + (address == null ? "localhost" : address);
    this.amqpPort = Ports.freeOnLoopbacks(1);
    this.distPort = Ports.freeOnLoopbacks(1);
    this.apiPort = Ports.freeOnLoopbacks(1);
    this.dir = host.base.resolve(shortName);
    this.confd = dir.resolve("conf.d");
    Files.createDirectories(confd);
    Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
    Files.writeString(
        confd.resolve("10-rabbitmq.conf"),
        "listeners.tcp.default = 127.0.0.1:" + amqpPort + "\nloopback_users = none\n");
    plugins("[].");
  }

  void plugins(String list) throws IOException {
    Files.writeString(dir.resolve("enabled_plugins"), list + "\n");
  }

  void conf(String file, String text) throws IOException {
    Files.writeString(confd.resolve(file), text);
  }

  /** RabbitMQ's environment for this node (test-servers.md). */
  Map<String, String> env() {
    Map<String, String> env = new HashMap<>(ctlEnv());
    env.put("RABBITMQ_NODENAME", name);
    env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
    env.put("RABBITMQ_NODE_PORT", Integer.toString(amqpPort));
    env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
    env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
    env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
    env.put("RABBITMQ_CONFIG_FILES", confd.toString());
    env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
    env.put("RABBITMQ_PID_FILE", dir.resolve("rabbit.pid").toString());
    env.put("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString());
    env.put("RABBITMQ_SERVER", RabbitHost.RABBIT_BIN.resolve("rabbitmq-server").toString());
    // the module as the tarball ships it, compiled by the build (WrapperTest covers compiling)
    if (Files.exists(RabbitHost.EBIN.resolve("muster_peer_discovery.beam"))) {
      env.put("MUSTER_PEER_DISCOVERY_EBIN", RabbitHost.EBIN.toString());
    }
    return env;
  }

  /** rabbitmq-server alone. */
  void startBare() throws IOException {
    start(List.of(RabbitHost.RABBIT_BIN.resolve("rabbitmq-server").toString()), "rabbitmq.out");
  }

  /** {@code muster exec --config F -- rabbitmq-server-muster}, the shipped wrapper. */
  void startMuster(Path musterConf) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(host.musterJvm);
    cmd.addAll(
        List.of(
            "-jar",
            RabbitHost.MUSTER_JAR.toString(),
            "exec",
            "--config",
            musterConf.toString(),
            "--",
            RabbitHost.WRAPPER.toString()));
    start(cmd, "muster.out");
  }

  private void start(List<String> cmd, String out) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(out).toFile());
    pb.environment().putAll(env());
    process = pb.start();
  }

  Path output(String file) {
    return dir.resolve(file);
  }

  /** The broker's own log file (RABBITMQ_LOG_BASE/NODE.log). */
  Path brokerLog() {
    return dir.resolve("log").resolve(name + ".log");
  }

  /** What tells why a formation failed: the broker's log, and the agent's output. */
  List<Path> logs() {
    return List.of(brokerLog(), output("muster.out"));
  }

  boolean amqpOpen() {
    return RabbitHost.open(amqpPort);
  }

  /** Running nodes as this node reports them; empty when it cannot answer yet. */
  TreeSet<String> runningNodes() {
    return nodesIn("running_nodes", clusterStatus());
  }

  /** Disc nodes (members, running or not) as this node reports them. */
  TreeSet<String> diskNodes() {
    return nodesIn("disk_nodes", clusterStatus());
  }

  String clusterStatus() {
    return ctl("cluster_status", "--formatter", "json");
  }

  String ctl(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(RabbitHost.RABBIT_BIN.resolve("rabbitmqctl").toString());
    cmd.add("-n");
    cmd.add(name);
    cmd.addAll(List.of(args));
    Commands.Result r = Commands.run(cmd, ctlEnv(), Duration.ofSeconds(60));
    return r.ok() ? r.output() : "";
  }

  /** The host's environment, and long names where this node has one (CLI tools need it too). */
  Map<String, String> ctlEnv() {
    Map<String, String> env = new HashMap<>(host.env());
    if (longName) {
      env.put("RABBITMQ_USE_LONGNAME", "true");
    }
    return env;
  }

  private static final Pattern NAME = Pattern.compile("\"([^\"]+@[^\"]+)\"");

  static TreeSet<String> nodesIn(String field, String json) {
    TreeSet<String> out = new TreeSet<>();
    Matcher list = Pattern.compile("\"" + field + "\":\\[([^\\]]*)\\]").matcher(json);
    if (list.find()) {
      Matcher m = NAME.matcher(list.group(1));
      while (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  /** The muster agent's {@code GET /v1/status}, or "" when it does not answer. */
  String musterStatus() {
    try {
      var client = java.net.http.HttpClient.newHttpClient();
      var r =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + apiPort + "/v1/status"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      return r.body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  Integer exitCode() {
    return process == null || process.isAlive() ? null : process.exitValue();
  }

  /** SIGTERM to the top process (muster or rabbitmq-server), bounded; then kill what is left. */
  void stop() {
    if (process == null) {
      return;
    }
    if (process.isAlive()) {
      tree = process.descendants().toList();
      process.destroy();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    outlived = new ArrayList<>();
    for (ProcessHandle h : tree) {
      // The top process has exited; its processes get a moment to follow before they count.
      h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(x -> h).join();
      if (h.isAlive()) {
        outlived.add(h.pid() + " " + h.info().command().orElse("?"));
        h.destroyForcibly();
        h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(x -> h).join();
      }
    }
  }

  /** Processes started under this node that outlived the top process's exit (should be none). */
  List<String> outlived() {
    return outlived;
  }

  void deleteData() throws IOException {
    try (var walk = Files.walk(dir.resolve("mnesia"))) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
