package io.muster.testing;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * Test fixture: agents for nodes 1..n from a config per node, in this JVM ({@link #start}) or as
 * separate JVMs on the test classpath that can be killed with SIGKILL ({@link #spawn}). Closing
 * stops them all.
 */
public final class TestAgents implements AutoCloseable {

  private final Path dir;
  private final IntFunction<String> config;
  private final List<Agent> agents = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  public TestAgents(Path dir, IntFunction<String> config) {
    this.dir = dir;
    this.config = config;
  }

  /**
   * Agents of a lockless backend on 127.0.0.x, all serving their peer port on one free port, with
   * fast test timings; {@code backendLines} gives node i's backend keys.
   */
  public static TestAgents lockless(
      Path dir, IntFunction<String> nodeName, String backend, IntFunction<String> backendLines) {
    int peerPort = Ports.freeOnLoopbacks(8);
    return new TestAgents(
        dir,
        i ->
            "muster.node_name = "
                + nodeName.apply(i)
                + "\nmuster.api.port = 0\nmuster.peer.port = "
                + peerPort
                + "\nmuster.data_dir = "
                + dir.resolve("n" + i)
                + "\nmuster.stable_margin = 200ms\nmuster.peer.probe_timeout = 1s\n"
                + "muster.discovery.poll_interval = 300ms\n"
                + "cluster_formation.discovery_retry_interval = 100\n"
                + "cluster_formation.discovery_retry_limit = 100\n"
                + "cluster_formation.peer_discovery_backend = "
                + backend
                + "\n"
                + backendLines.apply(i));
  }

  public String config(int i) {
    return config.apply(i);
  }

  public Agent start(int i) {
    Agent a = Agent.start(AgentConfig.fromText("node" + i + ".conf", config(i), Map.of()));
    synchronized (agents) {
      agents.add(a);
    }
    return a;
  }

  /**
   * Runs {@code mainClass} in another JVM on this test classpath; {@code {conf}} in {@code args}
   * becomes node {@code i}'s config file. Output goes to {@code dir/nodeI.log}.
   */
  public Process spawn(int i, String mainClass, String... args) throws IOException {
    return spawn(i, Map.of(), mainClass, args);
  }

  /**
   * As {@link #spawn(int, String, String...)}, with {@code env} added to the child's environment.
   */
  public Process spawn(int i, Map<String, String> env, String mainClass, String... args)
      throws IOException {
    return spawn(i, env, List.of(), mainClass, args);
  }

  /**
   * As {@link #spawn(int, String, String...)}, with the java command run through {@code launcher}
   * (e.g. {@code ip netns exec NS}, which execs it in place, so the process is still the JVM).
   */
  public Process spawn(int i, List<String> launcher, String mainClass, String... args)
      throws IOException {
    return spawn(i, Map.of(), launcher, mainClass, args);
  }

  private Process spawn(
      int i, Map<String, String> env, List<String> launcher, String mainClass, String... args)
      throws IOException {
    Path conf = configFile(i);
    Files.createDirectories(dir);
    Files.writeString(conf, config(i));
    List<String> cmd = new ArrayList<>(launcher);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    for (String a : args) {
      cmd.add(a.replace("{conf}", conf.toString()));
    }
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile(i).toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    synchronized (processes) {
      processes.add(p);
    }
    return p;
  }

  /** The file {@link #spawn} writes node {@code i}'s config to: {@code dir/nodeI.conf}. */
  public Path configFile(int i) {
    return dir.resolve("node" + i + ".conf");
  }

  /** The file a spawned node {@code i}'s output goes to: {@code dir/nodeI.log}. */
  public Path logFile(int i) {
    return dir.resolve("node" + i + ".log");
  }

  public String log(int i) throws IOException {
    Path f = logFile(i);
    return Files.exists(f) ? Files.readString(f) : "";
  }

  /** The API port a spawned {@code muster run} of node {@code i} logged at start-up (awaited). */
  public int spawnedApiPort(int i) {
    Pattern started = Pattern.compile("started: API http://[0-9.]+:(\\d+)");
    return Awaitility.await()
        .atMost(Timing.scaled(Duration.ofSeconds(60)))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Matcher m = started.matcher(log(i));
              return m.find() ? Integer.parseInt(m.group(1)) : 0;
            },
            port -> port > 0);
  }

  @Override
  public void close() {
    List<Agent> all;
    synchronized (agents) {
      all = new ArrayList<>(agents);
      agents.clear();
    }
    all.parallelStream().forEach(Agent::close);
    synchronized (processes) {
      for (Process p : processes) {
        p.destroyForcibly();
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      processes.clear();
    }
  }
}
