package io.muster.backend.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.muster.agent.AgentConfig;
import io.muster.cli.Cli;
import io.muster.formation.Decision;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.muster.testing.AgentApi;
import io.muster.testing.BackendUnderTest;
import io.muster.testing.BootTogether;
import io.muster.testing.LogLines;
import io.muster.testing.TestAgents;
import io.muster.testing.Timing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Agents and the backend against the Kubernetes API emulator (see {@link KubeApiEmulator}). */
class K8sFormationIT {

  @TempDir Path dir;

  private static List<KubeApiEmulator.Address> pods(int n) {
    List<KubeApiEmulator.Address> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      // Pods booting together are not ready yet: not-ready addresses must count.
      out.add(new KubeApiEmulator.Address("127.0.0." + i, "rabbitmq-" + (i - 1), i == 1));
    }
    return out;
  }

  private String serviceAccount(KubeApi api, String token) throws Exception {
    return api.serviceAccount(dir.resolve("sa"), token);
  }

  private TestAgents agents(String extra) {
    return TestAgents.lockless(dir, i -> "rabbit@127.0.0." + i, "k8s", i -> extra);
  }

  @ParameterizedTest(name = "{3}: {0} agents, jitter up to {1} ms, slices {2}")
  @CsvSource({
    "3, 0, true, emulator",
    "3, 300, false, emulator",
    "5, 0, true, emulator",
    "5, 500, true, emulator",
    "3, 0, true, fabric8",
    "3, 300, false, fabric8",
    "5, 500, true, fabric8"
  })
  void exactlyOneSeedWhenPodsBootTogether(int n, int jitterMs, boolean slices, String server)
      throws Exception {
    try (KubeApi api = KubeApi.start(server)) {
      if (!slices) {
        api.disableSlices();
      }
      api.endpoints(pods(n));
      try (TestAgents agents = agents(serviceAccount(api, "token-1"))) {
        List<Agent> started = new ArrayList<>();
        List<Decision> decisions =
            BootTogether.boot(agents::start, n, jitterMs, api.toString(), started);
        BootTogether.assertOneCluster(decisions);
      }
    }
  }

  /**
   * Issue 20: a slice list whose {@code kind} is {@code List} (fabric8's kubernetes-server-mock
   * answers so) is still read as slices. Before, the parser went by {@code kind}, read it as
   * Endpoints, and reported "no usable endpoints yet" although the slices were there.
   */
  @ParameterizedTest
  @ValueSource(strings = {"emulator", "fabric8"})
  void aSliceListIsReadAsSlicesWhateverItsKindSays(String server) throws Exception {
    try (KubeApi api = KubeApi.start(server)) {
      api.endpoints(pods(3));
      if (api instanceof KubeApiEmulator emulator) {
        emulator.sliceListKind("List"); // fabric8's mock server answers so by itself
      }
      String config =
          "cluster_formation.peer_discovery_backend = k8s\n" + serviceAccount(api, "token-1");
      BackendUnderTest.with(
          config,
          backend -> {
            DiscoveryResult r =
                backend.discover(Duration.ofSeconds(10)).toCompletableFuture().get();
            assertThat(r).as("%s", r).isInstanceOf(DiscoveryResult.Peers.class);
            assertThat(((DiscoveryResult.Peers) r).nodes()).hasSize(3);
          });
      if (api instanceof KubeApiEmulator emulator) {
        assertThat(emulator.requests("endpoints")).as("no fallback to Endpoints").isZero();
      }
    }
  }

  @Test
  void aRoleWithOnlyGetOnEndpointsCostsOneRequestPerReadAfterTheFirst() throws Exception {
    try (KubeApiEmulator api = new KubeApiEmulator().start()) {
      api.endpoints(pods(3));
      api.rules(java.util.Map.of("endpoints", java.util.Set.of("get")));
      String config =
          "cluster_formation.peer_discovery_backend = k8s\n" + serviceAccount(api, "token-1");
      BackendUnderTest.with(
          config,
          backend -> {
            for (int i = 0; i < 5; i++) {
              DiscoveryResult r =
                  backend.discover(Duration.ofSeconds(10)).toCompletableFuture().get();
              assertThat(((DiscoveryResult.Peers) r).nodes()).hasSize(3);
            }
          });
      assertThat(api.requests("endpointslices")).as("asked once, refused, remembered").isEqualTo(1);
      assertThat(api.requests("endpoints")).isEqualTo(5);
    }
  }

  @Test
  void aRotatedTokenIsPickedUpWithoutRestart() throws Exception {
    try (KubeApiEmulator api = new KubeApiEmulator().start()) {
      api.endpoints(pods(2));
      String sa = serviceAccount(api, "token-1");
      try (TestAgents agents = agents(sa)) {
        Agent a = agents.start(1);
        agents.start(2);
        a.engine().decision().get(30, TimeUnit.SECONDS);
        // The kubelet rotates the projected token: new file, and the API refuses the old one.
        Path tokenFile = dir.resolve("sa").resolve("token");
        Path tmp = dir.resolve("sa").resolve("token.tmp");
        Files.writeString(tmp, "token-2");
        Files.move(tmp, tokenFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        api.rotateToken("token-2");
        api.endpoints(pods(3));
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(10)))
            .until(
                () ->
                    AgentApi.peerNames(a.apiPort()).contains("rabbit@127.0.0.3")
                        && !AgentApi.stale(a.apiPort()));
      }
    }
  }

  private static DiscoveryResult discover(String conf) throws Exception {
    return BackendUnderTest.discoverOnce(
        "muster.node_name = rabbit@rabbitmq-0\ncluster_formation.peer_discovery_backend = k8s\n"
            + conf);
  }

  @Test
  void hostnamesWithSuffixNotReadyAddressesAndTheServersCertificateIsVerified() throws Exception {
    try (KubeApiEmulator api = new KubeApiEmulator().start();
        KubeApiEmulator other = new KubeApiEmulator().start()) {
      api.endpoints(pods(3));
      api.disableSlices();
      DiscoveryResult r =
          discover(
              serviceAccount(api, "token-1")
                  + "cluster_formation.k8s.address_type = hostname\n"
                  + "cluster_formation.k8s.hostname_suffix = .rabbitmq-headless.messaging.svc.cluster.local\n");
      assertThat(((DiscoveryResult.Peers) r).nodes())
          .extracting(NodeName::toString)
          .containsExactly(
              "rabbit@rabbitmq-0.rabbitmq-headless.messaging.svc.cluster.local",
              "rabbit@rabbitmq-1.rabbitmq-headless.messaging.svc.cluster.local",
              "rabbit@rabbitmq-2.rabbitmq-headless.messaging.svc.cluster.local");
      // Trusting another CA: the API server's certificate is refused.
      String wrongCa = serviceAccount(api, "token-1").replace(api.caPath(), other.caPath());
      assertThat(discover(wrongCa)).isInstanceOf(DiscoveryResult.Failure.class);
      // RBAC that allows endpoints only (RabbitMQ's examples): slices are refused, Endpoints used.
      DiscoveryResult endpointsOnly = discover(serviceAccount(api, "endpoints-only"));
      assertThat(((DiscoveryResult.Peers) endpointsOnly).nodes()).hasSize(3);
      // Terminating pods are listed by EndpointSlices and are not peers.
      KubeApiEmulator.Address going =
          new KubeApiEmulator.Address("127.0.0.9", "rabbitmq-8", false, true);
      List<KubeApiEmulator.Address> withTerminating = new ArrayList<>(pods(2));
      withTerminating.add(going);
      try (KubeApiEmulator sliced = new KubeApiEmulator().start()) {
        sliced.endpoints(withTerminating);
        assertThat(((DiscoveryResult.Peers) discover(serviceAccount(sliced, "token-1"))).nodes())
            .extracting(NodeName::toString)
            .containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2");
      }
      // A forbidden service account is an AUTH failure naming what RBAC must allow.
      assertThat(discover(serviceAccount(api, "forbidden")))
          .isInstanceOfSatisfying(
              DiscoveryResult.Failure.class,
              f -> {
                assertThat(f.kind()).isEqualTo(DiscoveryResult.Kind.AUTH);
                assertThat(f.message()).contains("403").doesNotContain("forbidden\n");
              });
    }
  }

  private static DiscoveryResult discoverAs(String self, String conf) throws Exception {
    return BackendUnderTest.discoverOnce(
        "muster.node_name = " + self + "\ncluster_formation.peer_discovery_backend = k8s\n" + conf);
  }

  private static List<String> names(DiscoveryResult r) {
    assertThat(r).as("%s", r).isInstanceOf(DiscoveryResult.Peers.class);
    return ((DiscoveryResult.Peers) r).nodes().stream().map(NodeName::toString).toList();
  }

  /**
   * Issue 20: IPv6 slice addresses were rejected names ({@code rabbit@fd00::1}), so an IPv6-only
   * cluster had no usable peers; a dual-stack Service listed every pod twice. Now IPv6 names are
   * bracketed, and only the family of this node's own name is taken.
   */
  @ParameterizedTest
  @ValueSource(strings = {"emulator", "fabric8"})
  void ipv6SlicesNameNodesInBracketsAndADualStackServiceGivesEachPodOnce(String server)
      throws Exception {
    try (KubeApi api = KubeApi.start(server)) {
      List<KubeApiEmulator.Address> v6 = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        v6.add(new KubeApiEmulator.Address("fd00::" + i, "rabbitmq-" + (i - 1), i == 1));
      }
      api.endpoints(v6);
      api.maxPerSlice(2); // three pods in two slices, as a large Service is spread
      String sa = serviceAccount(api, "token-1");
      assertThat(names(discoverAs("rabbit@[fd00::1]", sa)))
          .containsExactly("rabbit@[fd00::1]", "rabbit@[fd00::2]", "rabbit@[fd00::3]");
      assertThat(names(discoverAs("rabbit@rabbitmq-0", sa))).hasSize(3);

      List<KubeApiEmulator.Address> dual = new ArrayList<>(pods(3));
      dual.addAll(v6);
      api.endpoints(dual);
      assertThat(names(discoverAs("rabbit@127.0.0.1", sa)))
          .containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2", "rabbit@127.0.0.3");
      assertThat(names(discoverAs("rabbit@[fd00::1]", sa)))
          .containsExactly("rabbit@[fd00::1]", "rabbit@[fd00::2]", "rabbit@[fd00::3]");
      // v1 Endpoints (no slices) carry IPv6 addresses too
      api.disableSlices();
      api.endpoints(v6);
      assertThat(names(discoverAs("rabbit@[fd00::1]", sa)))
          .containsExactly("rabbit@[fd00::1]", "rabbit@[fd00::2]", "rabbit@[fd00::3]");
    }
  }

  /**
   * Issue 20: hostname mode dropped an endpoint without {@code hostname} silently, and "no usable
   * endpoints" did not name the namespace. Now each drop says which pod and why.
   */
  @ParameterizedTest
  @ValueSource(strings = {"emulator", "fabric8"})
  void anEndpointWithoutTheHostnameAskedForIsDroppedAndSaidSo(String server) throws Exception {
    try (KubeApi api = KubeApi.start(server)) {
      List<KubeApiEmulator.Address> some = new ArrayList<>(pods(2));
      some.add(new KubeApiEmulator.Address("127.0.0.3", null, false));
      api.endpoints(some);
      String conf =
          serviceAccount(api, "token-1") + "cluster_formation.k8s.address_type = hostname\n";
      DiscoveryResult r = discover(conf);
      assertThat(names(r)).containsExactly("rabbit@rabbitmq-0", "rabbit@rabbitmq-1");
      assertThat(((DiscoveryResult.Peers) r).dropped())
          .singleElement()
          .asString()
          .startsWith("127.0.0.3 (pod pod-127-0-0-3): no hostname");

      api.endpoints(List.of(new KubeApiEmulator.Address("127.0.0.3", null, false)));
      assertThat(discover(conf))
          .isInstanceOfSatisfying(
              DiscoveryResult.Failure.class,
              f ->
                  assertThat(f.message())
                      .contains("service rabbitmq in namespace messaging has no usable endpoints")
                      .contains("no hostname"));
    }
  }

  /**
   * Issue 20: an unreadable token was kind OTHER and its message named the path twice; a wrong CA
   * said only "Failed to create SSL connection".
   */
  @Test
  void anUnreadableTokenIsAnAuthFailureAndAWrongCaIsNamed() throws Exception {
    try (KubeApiEmulator api = new KubeApiEmulator().start();
        KubeApiEmulator other = new KubeApiEmulator().start()) {
      api.endpoints(pods(2));
      String sa = serviceAccount(api, "token-1");
      Path token = dir.resolve("sa").resolve("token");
      Files.delete(token);
      assertThat(discover(sa))
          .isInstanceOfSatisfying(
              DiscoveryResult.Failure.class,
              f -> {
                assertThat(f.kind()).isEqualTo(DiscoveryResult.Kind.AUTH);
                assertThat(f.message())
                    .contains("cannot read the service account token " + token + ": no such file");
                assertThat(f.message().split(java.util.regex.Pattern.quote(token.toString())))
                    .as("the path once")
                    .hasSize(2);
              });
      String wrongCa = serviceAccount(api, "token-1").replace(api.caPath(), other.caPath());
      assertThat(discover(wrongCa))
          .isInstanceOfSatisfying(
              DiscoveryResult.Failure.class,
              f ->
                  assertThat(f.message())
                      .contains("certificate is not signed by the CA in " + other.caPath())
                      .contains("cluster_formation.k8s.cert_path"));
    }
  }

  /**
   * Issue 20: with {@code publishNotReadyAddresses} the v1 Endpoints keep terminating pods (as the
   * endpoints controller does); slices mark them and they are dropped. A Role that allows list on
   * endpointslices (the shipped one) reads slices, so terminating pods are not peers.
   */
  @Test
  void terminatingPodsAreDroppedWhereTheApiMarksThem() throws Exception {
    try (KubeApiEmulator api = new KubeApiEmulator().start()) {
      List<KubeApiEmulator.Address> withTerminating = new ArrayList<>(pods(2));
      withTerminating.add(new KubeApiEmulator.Address("127.0.0.9", "rabbitmq-8", true, true));
      api.endpoints(withTerminating);
      api.publishNotReadyAddresses(true);
      api.rules(
          java.util.Map.of(
              "endpoints", java.util.Set.of("get"), "endpointslices", java.util.Set.of("list")));
      DiscoveryResult sliced = discover(serviceAccount(api, "token-1"));
      assertThat(names(sliced)).containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2");
      assertThat(((DiscoveryResult.Peers) sliced).dropped())
          .containsExactly("127.0.0.9 (pod rabbitmq-8): terminating");
      // A role with get on endpoints alone (RabbitMQ's examples) cannot tell: nothing is lost
      assertThat(names(discover(serviceAccount(api, "endpoints-only")))).hasSize(3);
    }
  }

  /** Two pods, then rabbitmq-8 terminating and rabbitmq-7 (for a test to delete while listed). */
  private static List<KubeApiEmulator.Address> withTerminatingAndGone() {
    List<KubeApiEmulator.Address> out = new ArrayList<>(pods(2));
    out.add(new KubeApiEmulator.Address("127.0.0.9", "rabbitmq-8", true, true));
    out.add(new KubeApiEmulator.Address("127.0.0.8", "rabbitmq-7", true));
    return out;
  }

  /**
   * Issue 20: on the v1 Endpoints fallback, a Service that publishes not-ready addresses keeps a
   * terminating pod under {@code addresses} until it is gone, so it stayed a peer there while the
   * slice path dropped it. Now the fallback reads the pods it lists: one being deleted, or already
   * gone, is not a peer, and {@code muster peers} says which and why.
   */
  @ParameterizedTest
  @ValueSource(strings = {"emulator", "fabric8"})
  void onTheEndpointsFallbackATerminatingPodIsNotAPeerAndMusterPeersSaysWhy(String server)
      throws Exception {
    try (KubeApi api = KubeApi.start(server)) {
      api.disableSlices();
      api.publishNotReadyAddresses(true);
      api.endpoints(withTerminatingAndGone());
      api.deletePod("rabbitmq-7");
      String conf = serviceAccount(api, "token-1");
      DiscoveryResult r = discover(conf);
      assertThat(names(r)).containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2");
      assertThat(((DiscoveryResult.Peers) r).dropped())
          .containsExactly(
              "127.0.0.9 (pod rabbitmq-8): terminating", "127.0.0.8 (pod rabbitmq-7): pod gone");

      Path file =
          Files.writeString(
              dir.resolve("peers.conf"),
              "muster.node_name = rabbit@rabbitmq-0\n"
                  + "cluster_formation.peer_discovery_backend = k8s\n"
                  + conf);
      Cli.Result peers = Cli.run("peers", "--config", file.toString());
      assertThat(peers.code()).as("%s", peers).isZero();
      assertThat(peers.out().lines()).containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2");
      assertThat(peers.err())
          .contains("dropped: 127.0.0.9 (pod rabbitmq-8): terminating")
          .contains("dropped: 127.0.0.8 (pod rabbitmq-7): pod gone");
      if (api instanceof KubeApiEmulator emulator) {
        assertThat(emulator.requests("pods")).as("each listed pod, once per read").isEqualTo(8);
      }
    }
  }

  /**
   * Issue 20: a role without get on pods (RabbitMQ's examples grant get on endpoints alone) must
   * cost no peer on the Endpoints fallback: the terminating pod stays listed, as before, and the
   * operator is told once what to grant; pods are not asked for again on every read.
   */
  @Test
  void withPodsRefusedByRbacTheFallbackKeepsEveryAddressAndSaysOnceWhatToGrant() throws Exception {
    try (KubeApiEmulator api = new KubeApiEmulator().start();
        LogLines log = new LogLines("io.muster.backend.k8s")) {
      api.publishNotReadyAddresses(true);
      List<KubeApiEmulator.Address> listed = withTerminatingAndGone().subList(0, 3);
      api.endpoints(listed);
      api.rules(java.util.Map.of("endpoints", java.util.Set.of("get")));
      String config =
          "cluster_formation.peer_discovery_backend = k8s\n" + serviceAccount(api, "token-1");
      BackendUnderTest.with(
          config,
          backend -> {
            for (int i = 0; i < 4; i++) {
              DiscoveryResult r =
                  backend.discover(Duration.ofSeconds(10)).toCompletableFuture().get();
              assertThat(names(r))
                  .containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2", "rabbit@127.0.0.9");
              assertThat(((DiscoveryResult.Peers) r).dropped()).isEmpty();
            }
          });
      assertThat(api.requests("pods"))
          .as("each listed pod asked once, refused, remembered")
          .isEqualTo(listed.size());
      assertThat(log.lines())
          .filteredOn(l -> l.startsWith("WARN"))
          .singleElement()
          .asString()
          .contains("403")
          .contains("terminating pods cannot be told apart on the Endpoints path")
          .contains("get on pods")
          .contains("list on endpointslices");
    }
  }

  @Test
  void ordinalRuleSeedsPodZeroAndTheOthersJoinItWithoutAnyApiCall() throws Exception {
    // every agent serves the peer port (pod -0 asks the others before seeding); the pod names do
    // not resolve here, so pod -0 hears from nobody and seeds
    int peerPort = io.muster.testing.Ports.freeOnLoopbacks(4);
    try (TestAgents agents =
        new TestAgents(
            dir,
            i ->
                "muster.node_name = rabbit@rmq-"
                    + (i - 1)
                    + ".rmq-headless.messaging.svc.cluster.local\nmuster.api.port = 0\n"
                    + "muster.peer.bind = 127.0.0."
                    + i
                    + "\nmuster.peer.port = "
                    + peerPort
                    + "\nmuster.peer.probe_timeout = 1s\n"
                    + "muster.data_dir = "
                    + dir.resolve("o" + i)
                    + "\ncluster_formation.peer_discovery_backend = k8s\n"
                    + "cluster_formation.k8s.host = no-api-server.invalid\n"
                    + "muster.k8s.ordinal_rule = true\n")) {
      List<Agent> started = new ArrayList<>();
      List<Decision> decisions =
          BootTogether.boot(agents::start, 3, 0, "the StatefulSet ordinal rule", started);
      BootTogether.assertOneCluster(decisions);
      assertThat(decisions.get(0)).isInstanceOf(Decision.Seed.class);
      assertThat(decisions.get(0).seed().toString())
          .isEqualTo("rabbit@rmq-0.rmq-headless.messaging.svc.cluster.local");
    }
  }

  @Test
  void ordinalRuleRefusesJoinWhenSeedReadyBeforeStarting() {
    String conf =
        "muster.node_name = rabbit@rmq-1.rmq-headless.messaging.svc.cluster.local\n"
            + "muster.api.port = 0\nmuster.data_dir = "
            + dir.resolve("refused")
            + "\ncluster_formation.peer_discovery_backend = k8s\n"
            + "cluster_formation.k8s.host = no-api-server.invalid\n"
            + "muster.k8s.ordinal_rule = true\n"
            // a seed named outright, without an ordinal: nobody to ask, so no peer port
            + "muster.k8s.seed_node = rabbit@seed-host\n"
            + "muster.exec.join_when = seed_ready\n";
    assertThatThrownBy(() -> Agent.start(AgentConfig.fromText("o.conf", conf, java.util.Map.of())))
        .isInstanceOf(io.muster.config.ConfigException.class)
        .hasMessageContaining("o.conf:8: muster.exec.join_when: expected immediately")
        .hasMessageContaining("fixes the seed without contact points");
    // refused before anything was started: no record, and the data dir's lock is free again
    assertThat(dir.resolve("refused/membership.json")).doesNotExist();
    io.muster.agent.DataDir.open(dir.resolve("refused"), "o.conf", "muster.data_dir").close();
  }
}
