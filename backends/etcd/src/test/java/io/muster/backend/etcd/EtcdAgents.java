package io.muster.backend.etcd;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture: Muster agents on the etcd backend, in this JVM ({@link #start}) or as separate
 * processes that can be killed with SIGKILL ({@link #spawn}). Node names are {@code rabbit@nodeI};
 * lock backends need no peer port, so any number of them fit on one machine.
 */
final class EtcdAgents implements AutoCloseable {

  private final EtcdCluster etcd;
  private final Path dir;
  private final String clusterName;
  private final String extra;
  private final List<Agent> agents = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  EtcdAgents(EtcdCluster etcd, Path dir, String clusterName, String extra) {
    this.etcd = etcd;
    this.dir = dir;
    this.clusterName = clusterName;
    this.extra = extra;
  }

  String config(int i) {
    return "muster.node_name = rabbit@node"
        + i
        + "\n"
        + "muster.api.port = 0\n"
        + "muster.data_dir = "
        + dir.resolve("n" + i)
        + "\n"
        + "cluster_formation.peer_discovery_backend = etcd\n"
        + etcd.endpointsConfig()
        + "cluster_formation.etcd.cluster_name = "
        + clusterName
        + "\n"
        + "cluster_formation.etcd.node_ttl = 3\n"
        + "cluster_formation.discovery_retry_interval = 200\n"
        + "cluster_formation.discovery_retry_limit = 100\n"
        + extra;
  }

  Agent start(int i) {
    Agent a = Agent.start(AgentConfig.fromText("node" + i + ".conf", config(i), Map.of()));
    synchronized (agents) {
      agents.add(a);
    }
    return a;
  }

  /**
   * Starts {@code muster run} for node {@code i} in a separate JVM on this test classpath (the
   * agent plus this backend), logging to {@code dir/nodeI.log}.
   */
  Process spawn(int i, String mainClass, String... args) throws IOException {
    Path conf = dir.resolve("node" + i + ".conf");
    Files.createDirectories(dir);
    Files.writeString(conf, config(i));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    for (String a : args) {
      cmd.add(a.replace("{conf}", conf.toString()));
    }
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("node" + i + ".log").toFile())
            .start();
    synchronized (processes) {
      processes.add(p);
    }
    return p;
  }

  String log(int i) throws IOException {
    Path f = dir.resolve("node" + i + ".log");
    return Files.exists(f) ? Files.readString(f) : "";
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
