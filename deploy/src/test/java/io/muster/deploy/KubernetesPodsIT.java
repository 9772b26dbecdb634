package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.backend.etcd.EtcdCluster;
import io.muster.backend.k8s.KubeApiEmulator;
import io.muster.backend.k8s.KubeApiEmulator.Rule;
import io.muster.exec.ProbeCompleter;
import io.muster.formation.Decision;
import io.muster.formation.NodeState;
import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.testing.Ports;
import io.muster.testing.Timing;
import io.vertx.core.Vertx;
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
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Three pods of deploy/k8s's overlays (as {@code kubectl kustomize} renders them; skipped without
 * kubectl) played on one machine, each agent on the rendered ConfigMap's own muster.conf with the
 * environment of the container Muster runs in. A pod's broker starts only once the agent's gate,
 * GET /health/started, opens: {@code muster exec} starts its child on that gate, and the kubelet
 * starts the advisory variant's broker on it (the startup probe); this test plays that part,
 * starting a pod's "rabbitmq" (a listening socket where {@code muster.exec.ready.tcp} looks) when
 * the gate opens. What differs from a cluster is overridden through the environment only: addresses
 * (127.0.0.N for pod N), the API server or etcd address, and paths. The Kubernetes API is the
 * emulator, authorizing with the overlay's own Role, resource names included.
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

  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.SIDECAR})
  void threePodsOnTheK8sConfigFormOneClusterJoinersStartingAfterTheSeed(String overlay)
      throws Exception {
    K8sManifests m = K8sManifests.build(overlay);
    KubeApiEmulator api = new KubeApiEmulator().start();
    open.add(api);
    api.service("rabbitmq-headless");
    api.rbac(K8sManifests.rules(m.get("Role", "rabbitmq-peer-discovery")));
    List<KubeApiEmulator.Address> pods = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      pods.add(new KubeApiEmulator.Address("127.0.0." + i, "rabbitmq-" + (i - 1), false));
    }
    // a pod of an earlier rollout still terminating: never a peer (it would not answer)
    pods.add(new KubeApiEmulator.Address("127.0.0.9", "rabbitmq-8", true, true));
    api.publishNotReadyAddresses(true);
    api.endpoints(pods);
    Map<String, String> cluster = new HashMap<>(apiAccess(api));
    // Pods are 127.0.0.N here, with no cluster DNS for their host names.
    cluster.put("CLUSTER_FORMATION__K8S__ADDRESS_TYPE", "ip");
    bootThreePods(m, cluster, true);
    assertThat(api.requests("endpointslices")).as("the Role allows list on slices").isPositive();
    assertThat(api.requests("endpoints"))
        .as("Endpoints, which keep terminating pods listed, are not needed")
        .isZero();
  }

  @Test
  void peerNamesFromTheEndpointsAreThePodsOwnNodeNames() throws Exception {
    // The manifest's hostname path, as in a cluster: the Endpoints' hostnames plus the suffix the
    // pod's environment gives must be exactly what each pod's RABBITMQ_NODENAME says.
    K8sManifests m = K8sManifests.build(K8sManifests.K8S);
    KubeApiEmulator api = new KubeApiEmulator().start();
    open.add(api);
    api.service("rabbitmq-headless");
    api.rbac(K8sManifests.rules(m.get("Role", "rabbitmq-peer-discovery")));
    List<String> expected = threeEndpoints(api, m);
    DiscoveryResult r = discover(m, api, Map.of());
    assertThat(r).isInstanceOf(DiscoveryResult.Peers.class);
    assertThat(((DiscoveryResult.Peers) r).nodes())
        .extracting(Object::toString)
        .containsExactlyElementsOf(expected);
  }

  /**
   * Why the Role's list on EndpointSlices names no slice: Kubernetes (and the emulator) refuses a
   * list to a rule with resourceNames unless the request selects one name by field selector, and
   * slice names are generated. Such a Role costs the slices (and their terminating-pod marks): the
   * backend falls back to the Service's Endpoints, which the Role grants by name.
   */
  @Test
  void aRoleNamingSlicesForbidsTheirListAndTheNamedEndpointsServeInstead() throws Exception {
    K8sManifests m = K8sManifests.build(K8sManifests.K8S);
    KubeApiEmulator api = new KubeApiEmulator().start();
    open.add(api);
    api.service("rabbitmq-headless");
    List<Rule> named = new ArrayList<>();
    for (Rule rule : K8sManifests.rules(m.get("Role", "rabbitmq-peer-discovery"))) {
      named.add(
          rule.resource().equals("endpointslices")
              ? new Rule(rule.resource(), rule.verbs(), Set.of("rabbitmq-headless-x7k2p"))
              : rule);
    }
    api.rbac(named);
    List<String> expected = threeEndpoints(api, m);
    DiscoveryResult r = discover(m, api, Map.of());
    assertThat(r).isInstanceOf(DiscoveryResult.Peers.class);
    assertThat(((DiscoveryResult.Peers) r).nodes())
        .extracting(Object::toString)
        .containsExactlyInAnyOrderElementsOf(expected);
    assertThat(api.requests("endpointslices")).as("asked, refused").isPositive();
    assertThat(api.requests("endpoints")).as("read by name instead").isPositive();
  }

  /** The Role's get on Endpoints is the headless Service's alone: another Service's is 403. */
  @Test
  void theRoleReadsNoOtherServicesEndpoints() throws Exception {
    K8sManifests m = K8sManifests.build(K8sManifests.K8S);
    KubeApiEmulator api = new KubeApiEmulator().start();
    open.add(api);
    api.service("payments");
    api.rbac(K8sManifests.rules(m.get("Role", "rabbitmq-peer-discovery")));
    api.disableSlices();
    threeEndpoints(api, m);
    DiscoveryResult r =
        discover(m, api, Map.of("CLUSTER_FORMATION__K8S__SERVICE_NAME", "payments"));
    assertThat(r).isInstanceOf(DiscoveryResult.Failure.class);
    assertThat(((DiscoveryResult.Failure) r).kind()).isEqualTo(DiscoveryResult.Kind.AUTH);
    assertThat(((DiscoveryResult.Failure) r).message()).contains("403");
  }

  /** Three pods behind the emulator's Service; returns the node names they should get. */
  private List<String> threeEndpoints(KubeApiEmulator api, K8sManifests m) {
    List<KubeApiEmulator.Address> pods = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      pods.add(new KubeApiEmulator.Address("10.1.0." + (i + 1), "rabbitmq-" + i, i == 0));
      expected.add(
          K8sManifests.expandedEnv(
                  m.musterContainer(),
                  Map.of("POD_NAME", "rabbitmq-" + i, "POD_NAMESPACE", "messaging"))
              .get("RABBITMQ_NODENAME"));
    }
    api.publishNotReadyAddresses(true);
    api.endpoints(pods);
    return expected;
  }

  /** One discovery by pod rabbitmq-1's agent, on the overlay's config and Muster's environment. */
  private DiscoveryResult discover(K8sManifests m, KubeApiEmulator api, Map<String, String> more)
      throws Exception {
    Map<String, String> env =
        new HashMap<>(
            K8sManifests.expandedEnv(
                m.musterContainer(),
                Map.of("POD_NAME", "rabbitmq-1", "POD_NAMESPACE", "messaging")));
    env.putAll(apiAccess(api));
    env.putAll(secretFiles());
    env.putAll(more);
    Vertx vertx = Vertx.vertx();
    try (Backend backend =
        AgentConfig.fromText("muster-config", m.musterConf(), env).createBackend(vertx)) {
      return backend.discover(Duration.ofSeconds(10)).toCompletableFuture().get();
    } finally {
      vertx.close();
    }
  }

  /**
   * The emulator as the API server, and the service account's files as the kubelet mounts them
   * (token and namespace; the CA is the emulator's).
   */
  private Map<String, String> apiAccess(KubeApiEmulator api) throws IOException {
    Path sa = Files.createDirectories(dir.resolve("serviceaccount"));
    Files.writeString(sa.resolve("token"), api.token());
    Files.writeString(sa.resolve("namespace"), "messaging");
    return Map.of(
        "CLUSTER_FORMATION__K8S__HOST", "localhost",
        "CLUSTER_FORMATION__K8S__PORT", Integer.toString(api.port()),
        "CLUSTER_FORMATION__K8S__TOKEN_PATH", sa.resolve("token").toString(),
        "CLUSTER_FORMATION__K8S__NAMESPACE_PATH", sa.resolve("namespace").toString(),
        "CLUSTER_FORMATION__K8S__CERT_PATH", api.caPath());
  }

  /** Files playing the Secrets deploy/k8s mounts (the peer secret, the API token). */
  private Map<String, String> secretFiles() throws IOException {
    Path secrets = Files.createDirectories(dir.resolve("secrets"));
    Path cookie = secrets.resolve("cookie");
    Path token = secrets.resolve("token");
    if (!Files.exists(cookie)) {
      Files.writeString(cookie, "pods-share-this-peer-secret-0123\n");
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
    bootThreePods(K8sManifests.build(K8sManifests.ETCD), cluster, false);
  }

  /** Boots three agents at once and plays their gates until all three have formed. */
  private void bootThreePods(K8sManifests m, Map<String, String> cluster, boolean lockless)
      throws Exception {
    JsonNode muster = m.musterContainer();
    String text = m.musterConf();
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
                  muster, Map.of("POD_NAME", "rabbitmq-" + (i - 1), "POD_NAMESPACE", "messaging")));
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
      pod.config = AgentConfig.fromText("muster-config", text, env);
      pods.add(pod);
    }
    // Every agent starts at once, as the StatefulSet's Parallel policy does.
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

  /** One pod: its agent, its ports and the file the agent renders for rabbitmq. */
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
