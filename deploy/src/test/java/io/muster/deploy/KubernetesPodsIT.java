package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.backend.etcd.EtcdCluster;
import io.muster.backend.k8s.KubeApiEmulator;
import io.muster.exec.ProbeCompleter;
import io.muster.formation.Decision;
import io.muster.formation.NodeState;
import io.muster.testing.Ports;
import io.muster.testing.Timing;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three pods of deploy/k8s/rabbitmq.yaml played on one machine, each sidecar on the ConfigMap's own
 * muster.conf with the pod's environment: the kubelet's part is played by this test, which starts a
 * pod's "rabbitmq" (a listening socket where the sidecar's {@code muster.exec.ready.tcp} looks)
 * only once that pod's startup probe, GET /health/started on the health port, passes. What differs
 * from a cluster is overridden through the environment only: addresses (127.0.0.N for pod N), the
 * API server or etcd address, and paths. The Kubernetes API is the emulator, authorizing with the
 * manifest's own Role.
 */
class KubernetesPodsIT {

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void threePodsOnTheK8sConfigFormOneClusterJoinersStartingAfterTheSeed() throws Exception {
    K8sManifests m = K8sManifests.load("rabbitmq.yaml");
    KubeApiEmulator api = new KubeApiEmulator().start();
    open.add(api);
    api.service("rabbitmq-headless");
    api.rules(K8sManifests.rules(m.get("Role", "rabbitmq-peer-discovery")));
    List<KubeApiEmulator.Address> pods = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      pods.add(new KubeApiEmulator.Address("127.0.0." + i, "rabbitmq-" + (i - 1), false));
    }
    // a pod of an earlier rollout still terminating: never a peer (it would not answer)
    pods.add(new KubeApiEmulator.Address("127.0.0.9", "rabbitmq-8", true, true));
    api.publishNotReadyAddresses(true);
    api.endpoints(pods);
    Path sa = Files.createDirectories(dir.resolve("serviceaccount"));
    Files.writeString(sa.resolve("token"), api.token());
    Files.writeString(sa.resolve("namespace"), "messaging");
    Map<String, String> cluster = new HashMap<>();
    cluster.put("CLUSTER_FORMATION__K8S__HOST", "localhost");
    cluster.put("CLUSTER_FORMATION__K8S__PORT", Integer.toString(api.port()));
    cluster.put("CLUSTER_FORMATION__K8S__TOKEN_PATH", sa.resolve("token").toString());
    cluster.put("CLUSTER_FORMATION__K8S__NAMESPACE_PATH", sa.resolve("namespace").toString());
    cluster.put("CLUSTER_FORMATION__K8S__CERT_PATH", api.caPath());
    // Pods are 127.0.0.N here, with no cluster DNS for their host names.
    cluster.put("CLUSTER_FORMATION__K8S__ADDRESS_TYPE", "ip");
    bootThreePods("muster-k8s.yaml", cluster, true);
    assertThat(api.requests("endpointslices")).as("the Role allows list on slices").isPositive();
    assertThat(api.requests("endpoints"))
        .as("Endpoints, which keep terminating pods listed, are not needed")
        .isZero();
  }

  @Test
  void peerNamesFromTheEndpointsAreThePodsOwnNodeNames() throws Exception {
    // The manifest's hostname path, as in a cluster: the Endpoints' hostnames plus the suffix the
    // pod's environment gives must be exactly what each pod's RABBITMQ_NODENAME says.
    JsonNode sidecar =
        K8sManifests.container(
            K8sManifests.load("rabbitmq.yaml").get("StatefulSet", "rabbitmq"),
            "initContainers",
            "muster");
    KubeApiEmulator api = new KubeApiEmulator().start();
    open.add(api);
    api.service("rabbitmq-headless");
    api.rules(
        K8sManifests.rules(
            K8sManifests.load("rabbitmq.yaml").get("Role", "rabbitmq-peer-discovery")));
    List<KubeApiEmulator.Address> pods = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      pods.add(new KubeApiEmulator.Address("10.1.0." + (i + 1), "rabbitmq-" + i, i == 0));
      expected.add(
          K8sManifests.expandedEnv(
                  sidecar, Map.of("POD_NAME", "rabbitmq-" + i, "POD_NAMESPACE", "messaging"))
              .get("RABBITMQ_NODENAME"));
    }
    api.endpoints(pods);
    Path sa = Files.createDirectories(dir.resolve("sa"));
    Files.writeString(sa.resolve("token"), api.token());
    Files.writeString(sa.resolve("namespace"), "messaging");
    Map<String, String> env =
        new HashMap<>(
            K8sManifests.expandedEnv(
                sidecar, Map.of("POD_NAME", "rabbitmq-1", "POD_NAMESPACE", "messaging")));
    env.put("CLUSTER_FORMATION__K8S__HOST", "localhost");
    env.put("CLUSTER_FORMATION__K8S__PORT", Integer.toString(api.port()));
    env.put("CLUSTER_FORMATION__K8S__TOKEN_PATH", sa.resolve("token").toString());
    env.put("CLUSTER_FORMATION__K8S__NAMESPACE_PATH", sa.resolve("namespace").toString());
    env.put("CLUSTER_FORMATION__K8S__CERT_PATH", api.caPath());
    env.putAll(secretFiles());
    String text =
        K8sManifests.load("muster-k8s.yaml")
            .get("ConfigMap", "muster-config")
            .path("data")
            .path("muster.conf")
            .asText();
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try (io.muster.spi.Backend backend =
        AgentConfig.fromText("muster-k8s.yaml", text, env).createBackend(vertx)) {
      io.muster.spi.DiscoveryResult r =
          backend.discover(Duration.ofSeconds(10)).toCompletableFuture().get();
      assertThat(r).isInstanceOf(io.muster.spi.DiscoveryResult.Peers.class);
      assertThat(((io.muster.spi.DiscoveryResult.Peers) r).nodes())
          .extracting(Object::toString)
          .containsExactlyElementsOf(expected);
    } finally {
      vertx.close();
    }
  }

  /** Files playing the Secrets deploy/k8s mounts (the Erlang cookie, the API token). */
  private Map<String, String> secretFiles() throws IOException {
    Path secrets = Files.createDirectories(dir.resolve("secrets"));
    Path cookie = secrets.resolve("cookie");
    Path token = secrets.resolve("token");
    if (!Files.exists(cookie)) {
      Files.writeString(cookie, "pods-share-this-erlang-cookie\n");
      Files.writeString(token, "pods-api-token-0123456789\n");
    }
    return Map.of(
        "MUSTER__PEER__SECRET_FILE", cookie.toString(),
        "MUSTER__API__TOKEN_FILE", token.toString());
  }

  @Test
  void threePodsOnTheEtcdConfigFormOneCluster() throws Exception {
    Map<String, String> cluster = new HashMap<>();
    cluster.put("CLUSTER_FORMATION__ETCD__ENDPOINTS__1", ETCD.clientUrl(0).replace("http://", ""));
    cluster.put("CLUSTER_FORMATION__ETCD__CLUSTER_NAME", "pods-" + System.nanoTime());
    bootThreePods("muster-etcd.yaml", cluster, false);
  }

  /** Boots three sidecars at once and plays the kubelet until all three have formed. */
  private void bootThreePods(String configMap, Map<String, String> cluster, boolean lockless)
      throws Exception {
    JsonNode sidecar =
        K8sManifests.container(
            K8sManifests.load("rabbitmq.yaml").get("StatefulSet", "rabbitmq"),
            "initContainers",
            "muster");
    String text =
        K8sManifests.load(configMap)
            .get("ConfigMap", "muster-config")
            .path("data")
            .path("muster.conf")
            .asText();
    int[] ports = Ports.distinct(7, 3);
    int peerPort = ports[6];
    // The mounted Secrets the ConfigMap names: one cookie and one API token for the whole set.
    Map<String, String> secrets = secretFiles();
    List<Pod> pods = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Pod pod = new Pod(i, ports[2 * (i - 1)], ports[2 * (i - 1) + 1]);
      Map<String, String> env =
          new HashMap<>(
              K8sManifests.expandedEnv(
                  sidecar,
                  Map.of("POD_NAME", "rabbitmq-" + (i - 1), "POD_NAMESPACE", "messaging")));
      env.putAll(cluster);
      env.putAll(secrets);
      if (lockless) {
        env.put("RABBITMQ_NODENAME", "rabbit@127.0.0." + i);
        env.put("MUSTER__PEER__BIND", "127.0.0." + i);
        env.put("MUSTER__PEER__PORT", Integer.toString(peerPort));
      }
      env.put("MUSTER__API__PORT", "0");
      env.put("MUSTER__HEALTH__BIND", "127.0.0.1");
      env.put("MUSTER__HEALTH__PORT", Integer.toString(pod.healthPort));
      env.put("MUSTER__DATA_DIR", dir.resolve("data-" + i).toString());
      env.put("MUSTER__RENDER__1__DESTINATION", pod.rendered.toString());
      env.put("MUSTER__EXEC__READY__TCP", "127.0.0.1:" + pod.amqpPort);
      env.put("MUSTER__EXEC__READY__INTERVAL", "100ms");
      pod.config = AgentConfig.fromText(configMap, text, env);
      pods.add(pod);
    }
    // Every sidecar starts at once, as the StatefulSet's Parallel policy does.
    for (Pod pod : pods) {
      Agent agent = Agent.start(pod.config);
      open.add(agent);
      open.add(ProbeCompleter.startIfConfigured(agent, pod.config.exec()));
      pod.agent = agent;
    }
    List<Integer> startOrder = new CopyOnWriteArrayList<>();
    await("every pod's rabbitmq started and formation complete")
        .atMost(Timing.scaled(Duration.ofSeconds(120)))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              for (Pod pod : pods) {
                if (pod.rabbit == null && started(pod)) {
                  // The kubelet starts the rabbitmq container; it is up at once here.
                  pod.rabbit = new ServerSocket(pod.amqpPort, 50, InetAddress.getLoopbackAddress());
                  open.add(pod.rabbit);
                  startOrder.add(pod.index);
                }
              }
              return pods.stream().allMatch(p -> p.agent.local().state() == NodeState.FORMED);
            });
    List<Decision> decisions = pods.stream().map(p -> p.agent.local().decision()).toList();
    List<Pod> seeds =
        pods.stream().filter(p -> p.agent.local().decision() instanceof Decision.Seed).toList();
    assertThat(seeds).as("decisions %s", decisions).hasSize(1);
    Pod seed = seeds.get(0);
    assertThat(startOrder.get(0))
        .as("the seed's rabbitmq starts first (join_when = seed_ready)")
        .isEqualTo(seed.index);
    assertThat(decisions)
        .extracting(Decision::clusterId)
        .containsOnly(seed.agent.local().decision().clusterId());
    assertThat(Files.readString(seed.rendered)).doesNotContain("classic_config.nodes");
    for (Pod pod : pods) {
      if (pod != seed) {
        assertThat(Files.readString(pod.rendered))
            .contains("cluster_formation.classic_config.nodes.1 = " + seed.agent.node());
      }
    }
  }

  private boolean started(Pod pod) throws InterruptedException {
    try {
      return http.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + pod.healthPort + "/health/started"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /** One pod: its sidecar, its ports and the file the sidecar renders for rabbitmq. */
  private final class Pod {
    final int index;
    final int healthPort;
    final int amqpPort;
    final Path rendered;
    AgentConfig config;
    Agent agent;
    ServerSocket rabbit;

    Pod(int index, int healthPort, int amqpPort) throws IOException {
      this.index = index;
      this.healthPort = healthPort;
      this.amqpPort = amqpPort;
      this.rendered =
          Files.createDirectories(dir.resolve("conf.d-" + index)).resolve("90-muster.conf");
    }
  }
}
