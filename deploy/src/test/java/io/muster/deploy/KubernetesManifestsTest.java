package io.muster.deploy;

import static io.muster.deploy.K8sManifests.command;
import static io.muster.deploy.K8sManifests.env;
import static io.muster.deploy.K8sManifests.mount;
import static io.muster.deploy.K8sManifests.mounts;
import static io.muster.deploy.K8sManifests.ports;
import static io.muster.deploy.K8sManifests.stream;
import static io.muster.deploy.K8sManifests.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.muster.agent.AgentConfig;
import io.muster.backend.k8s.KubeApiEmulator.Rule;
import io.muster.config.CoreKeys;
import io.muster.exec.ExecSettings;
import io.muster.spi.Key;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/k8s/'s overlays as {@code kubectl kustomize} renders them, parsed, and the fields the
 * setup relies on checked against each other and against Muster's own config: RBAC, where the
 * service-account token and the secrets are mounted, the PodDisruptionBudget, the NetworkPolicy,
 * the writable /etc/rabbitmq, the copy of Muster into the broker's container and the {@code muster
 * exec} command line, and one image version everywhere. No Kubernetes API server can run here;
 * KubernetesPodsIT runs the agents on these configs against the API emulator and real etcd.
 */
class KubernetesManifestsTest {

  /** The RabbitMQ image every manifest names; docs/deploy/rabbitmq.md says why this one. */
  static final String RABBITMQ_IMAGE = "rabbitmq:4.1";

  private static final Map<String, String> POD =
      Map.of("POD_NAME", "rabbitmq-1", "POD_NAMESPACE", "messaging");

  private static final String TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.ETCD, K8sManifests.SIDECAR})
  void everyOverlayRendersTheWholeSetOfNamedObjects(String overlay) {
    K8sManifests m = K8sManifests.build(overlay);
    for (JsonNode d : m.docs()) {
      assertThat(d.path("apiVersion").asText()).as(d.toString()).isNotEmpty();
      assertThat(d.path("kind").asText()).as(d.toString()).isNotEmpty();
      assertThat(d.path("metadata").path("name").asText()).as(d.toString()).isNotEmpty();
    }
    m.get("StatefulSet", "rabbitmq");
    m.get("Service", "rabbitmq-headless");
    m.get("Service", "rabbitmq");
    m.get("ConfigMap", "muster-config");
    m.get("ConfigMap", "rabbitmq-config");
    m.get("PodDisruptionBudget", "rabbitmq");
    m.get("NetworkPolicy", "rabbitmq-peers");
  }

  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.ETCD, K8sManifests.SIDECAR})
  void headlessServiceListsNotReadyPodsOfTheStatefulSet(String overlay) {
    K8sManifests m = K8sManifests.build(overlay);
    JsonNode sts = m.statefulSet();
    JsonNode headless = m.get("Service", sts.path("spec").path("serviceName").asText());
    assertThat(headless.path("spec").path("clusterIP").asText()).isEqualTo("None");
    assertThat(headless.path("spec").path("publishNotReadyAddresses").asBoolean()).isTrue();
    assertThat(headless.path("spec").path("selector")).isEqualTo(podLabels(m));
    assertThat(stream(headless.path("spec").path("ports")).map(p -> p.path("port").asInt()))
        .contains(4369, 25672, 7071);
    assertThat(sts.path("spec").path("podManagementPolicy").asText()).isEqualTo("Parallel");
  }

  /**
   * What the k8s backend requests (K8sBackend): a list of the Service's EndpointSlices by label
   * selector, a get of its Endpoints by name where slices are refused or empty, and a get of each
   * listed pod on that fallback only. A list cannot be limited by resourceNames (Kubernetes applies
   * them to a list only with a fieldSelector on metadata.name, and slice names are generated); the
   * get of Endpoints can, and is; pods are not granted.
   */
  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.SIDECAR})
  void theRoleAllowsListOnSlicesAndGetOnTheServicesEndpointsOnly(String overlay) throws Exception {
    K8sManifests m = K8sManifests.build(overlay);
    String account = m.pod().path("serviceAccountName").asText();
    assertThat(account).isNotEmpty().isNotEqualTo("default");
    m.get("ServiceAccount", account);
    JsonNode binding = m.get("RoleBinding", "rabbitmq-peer-discovery");
    assertThat(binding.path("subjects").get(0).path("name").asText()).isEqualTo(account);
    assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("Role");
    assertThat(m.all("ClusterRoleBinding")).isEmpty();
    List<Rule> rules =
        K8sManifests.rules(m.get("Role", binding.path("roleRef").path("name").asText()));
    String service = (String) setting(musterConfig(m), "cluster_formation.k8s.service_name");
    assertThat(service).isEqualTo(m.statefulSet().path("spec").path("serviceName").asText());
    assertThat(rules)
        .containsExactlyInAnyOrder(
            new Rule("endpointslices", Set.of("list"), Set.of()),
            new Rule("endpoints", Set.of("get"), Set.of(service)));
  }

  @Test
  void theEtcdOverlayHasNoServiceAccountRoleOrToken() {
    K8sManifests m = K8sManifests.build(K8sManifests.ETCD);
    for (String kind : List.of("ServiceAccount", "Role", "RoleBinding", "ClusterRole")) {
      assertThat(m.all(kind)).as(kind).isEmpty();
    }
    assertThat(m.pod().path("serviceAccountName").isMissingNode()).isTrue();
    assertThat(m.pod().path("automountServiceAccountToken").asBoolean(true)).isFalse();
    assertThat(tokenVolumes(m)).isEmpty();
  }

  /**
   * The pod mounts no token by default; the k8s overlays mount the account's token into the one
   * container Muster runs in (the broker's under muster exec, the sidecar otherwise) at the paths
   * the k8s backend reads by default, and into no other container.
   */
  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.SIDECAR})
  void theTokenIsMountedIntoMustersContainerOnly(String overlay) throws Exception {
    K8sManifests m = K8sManifests.build(overlay);
    assertThat(m.pod().path("automountServiceAccountToken").asBoolean(true)).isFalse();
    assertThat(
            m.get("ServiceAccount", m.pod().path("serviceAccountName").asText())
                .path("automountServiceAccountToken")
                .asBoolean(true))
        .isFalse();
    List<String> tokens = tokenVolumes(m);
    assertThat(tokens).hasSize(1);
    JsonNode muster = m.musterContainer();
    for (JsonNode c : m.containers()) {
      boolean mounted = mounts(c).containsValue(tokens.get(0));
      assertThat(mounted).as("token in %s", c.path("name").asText()).isEqualTo(c == muster);
    }
    assertThat(mounts(muster)).containsEntry(TOKEN_DIR, tokens.get(0));
    JsonNode sources = m.volume(tokens.get(0)).path("projected").path("sources");
    Set<String> files = new java.util.TreeSet<>();
    for (JsonNode source : (Iterable<JsonNode>) sources::elements) {
      if (source.has("serviceAccountToken")) {
        files.add(source.path("serviceAccountToken").path("path").asText());
      }
      for (String kind : List.of("configMap", "downwardAPI")) {
        stream(source.path(kind).path("items")).forEach(i -> files.add(i.path("path").asText()));
      }
    }
    AgentConfig c = musterConfig(m);
    for (String key : List.of("token_path", "cert_path", "namespace_path")) {
      Path path = (Path) setting(c, "cluster_formation.k8s." + key);
      assertThat(path.getParent()).as(key).isEqualTo(Path.of(TOKEN_DIR));
      assertThat(files).as(key).contains(path.getFileName().toString());
    }
  }

  /** Names of the pod's volumes that project a service-account token. */
  private static List<String> tokenVolumes(K8sManifests m) {
    return stream(m.pod().path("volumes"))
        .filter(
            v ->
                stream(v.path("projected").path("sources"))
                    .anyMatch(s -> s.has("serviceAccountToken")))
        .map(v -> v.path("name").asText())
        .toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.ETCD, K8sManifests.SIDECAR})
  void aDisruptionBudgetKeepsAMajorityOfBrokersUp(String overlay) {
    K8sManifests m = K8sManifests.build(overlay);
    JsonNode pdb = m.get("PodDisruptionBudget", "rabbitmq");
    assertThat(pdb.path("apiVersion").asText()).isEqualTo("policy/v1");
    assertThat(pdb.path("spec").path("selector").path("matchLabels")).isEqualTo(podLabels(m));
    int replicas = m.statefulSet().path("spec").path("replicas").asInt();
    int down = pdb.path("spec").path("maxUnavailable").asInt();
    assertThat(down).isPositive();
    assertThat(replicas - down).as("brokers left up").isGreaterThan(replicas / 2);
  }

  /**
   * The ports come from Muster's config as loaded: only the StatefulSet's pods reach the peer port
   * (and Erlang's distribution ports), nobody the API port, which stays on loopback.
   */
  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.ETCD, K8sManifests.SIDECAR})
  void theNetworkPolicyOpensThePeerPortToPodsOnlyAndTheApiPortToNobody(String overlay)
      throws Exception {
    K8sManifests m = K8sManifests.build(overlay);
    AgentConfig c = musterConfig(m);
    JsonNode policy = m.get("NetworkPolicy", "rabbitmq-peers");
    assertThat(policy.path("spec").path("podSelector").path("matchLabels")).isEqualTo(podLabels(m));
    assertThat(texts(policy.path("spec").path("policyTypes"))).contains("Ingress");
    List<Integer> podsOnly = new ArrayList<>();
    List<Integer> open = new ArrayList<>();
    for (JsonNode rule :
        (Iterable<JsonNode>) () -> policy.path("spec").path("ingress").elements()) {
      List<Integer> ports = stream(rule.path("ports")).map(p -> p.path("port").asInt()).toList();
      if (rule.has("from")) {
        assertThat(rule.path("from")).hasSize(1);
        assertThat(rule.path("from").get(0).path("podSelector").path("matchLabels"))
            .isEqualTo(podLabels(m));
        podsOnly.addAll(ports);
      } else {
        open.addAll(ports);
      }
    }
    assertThat(podsOnly).containsExactlyInAnyOrder(c.core().peerPort(), 4369, 25672);
    assertThat(open).contains(5672, c.core().healthPort().orElseThrow());
    assertThat(open).doesNotContain(c.core().peerPort(), c.core().apiPort(), 4369, 25672);
    assertThat(podsOnly).doesNotContain(c.core().apiPort());
    assertThat(c.core().apiBind()).isEqualTo("127.0.0.1");
    for (JsonNode container : m.containers()) {
      assertThat(ports(container)).doesNotContainValue(c.core().apiPort());
    }
    assertThat(ports(m.musterContainer()))
        .containsEntry("muster-health", c.core().healthPort().orElseThrow());
    if (!overlay.equals(K8sManifests.ETCD)) {
      assertThat(ports(m.musterContainer())).containsEntry("muster-peer", c.core().peerPort());
    }
  }

  /**
   * Each secret file the config names is on a read-only mount, in Muster's container, of a Secret
   * the base's header creates, group-readable (0440) by the pod's fsGroup; the peer secret is not
   * the Erlang cookie. In the advisory variant the broker's container keeps no Muster secret.
   */
  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.ETCD, K8sManifests.SIDECAR})
  void theSecretFilesTheConfigNamesAreMountedSecrets(String overlay) throws Exception {
    K8sManifests m = K8sManifests.build(overlay);
    JsonNode muster = m.musterContainer();
    String text = m.musterConf();
    Map<String, String> expected =
        new HashMap<>(Map.of("muster.api.token_file", "muster-api-token"));
    if (!overlay.equals(K8sManifests.ETCD)) {
      expected.put("muster.peer.secret_file", "muster-peer-secret");
    } else {
      assertThat(setting(text, "muster.peer.secret_file")).isNull();
    }
    String header = Files.readString(K8sManifests.DIR.resolve("base/rabbitmq.yaml"));
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Path path = Path.of(setting(text, e.getKey()));
      String dir = path.getParent().toString();
      assertThat(mounts(muster)).as("%s is on a mounted volume", e.getKey()).containsKey(dir);
      assertThat(mount(muster, dir).path("readOnly").asBoolean()).isTrue();
      JsonNode v = m.volume(mounts(muster).get(dir));
      assertThat(v.path("secret").path("secretName").asText()).isEqualTo(e.getValue());
      assertThat(v.path("secret").path("defaultMode").asInt()).isEqualTo(0440);
      assertThat(header).contains("kubectl create secret generic " + e.getValue() + " ");
    }
    if (overlay.equals(K8sManifests.SIDECAR)) {
      JsonNode rabbit = m.container("containers", "rabbitmq");
      for (String dir :
          List.of("/etc/muster-api-token", "/etc/muster-peer", TOKEN_DIR, "/etc/muster")) {
        assertThat(mounts(rabbit)).doesNotContainKey(dir);
      }
    }
  }

  /**
   * RabbitMQ's guidance: /etc/rabbitmq writable and owned by RabbitMQ's user. An init step copies
   * every key of the ConfigMap into an emptyDir mounted there, and Muster's rendered file lands in
   * its conf.d, which RabbitMQ reads.
   */
  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.ETCD, K8sManifests.SIDECAR})
  void rabbitmqsConfigIsCopiedIntoAWritableEtcRabbitmq(String overlay) throws Exception {
    K8sManifests m = K8sManifests.build(overlay);
    JsonNode setup = m.container("initContainers", "rabbitmq-setup");
    assertThat(m.pod().path("initContainers").get(0)).isEqualTo(setup);
    assertThat(setup.path("securityContext").path("runAsUser").asInt()).isEqualTo(999);
    String configDir = mountOf(setup, "rabbitmq-config");
    assertThat(mount(setup, configDir).path("readOnly").asBoolean()).isTrue();
    String etc = mounts(setup).get("/etc/rabbitmq");
    assertThat(m.volume(etc).has("emptyDir")).isTrue();
    String script = String.join(" ", command(setup));
    Set<String> keys = new java.util.TreeSet<>();
    m.get("ConfigMap", "rabbitmq-config").path("data").fieldNames().forEachRemaining(keys::add);
    assertThat(keys).contains("rabbitmq.conf", "enabled_plugins");
    for (String key : keys) {
      assertThat(script).contains(configDir + "/" + key);
    }
    assertThat(script).contains("/etc/rabbitmq/").contains("mkdir -p -m 2775 /etc/rabbitmq/conf.d");
    JsonNode rabbit = m.container("containers", "rabbitmq");
    assertThat(mounts(rabbit)).containsEntry("/etc/rabbitmq", etc);
    assertThat(mount(rabbit, "/etc/rabbitmq").path("readOnly").asBoolean(false)).isFalse();
    assertThat(stream(rabbit.path("volumeMounts")).filter(v -> v.has("subPath")))
        .allMatch(v -> !v.path("mountPath").asText().startsWith("/etc/rabbitmq"));
    assertThat(rabbit.path("securityContext").path("runAsUser").asInt()).isEqualTo(999);
    assertThat(env(rabbit)).doesNotContainKey("RABBITMQ_CONFIG_FILES");
    Path destination = musterConfig(m).render().items().get(0).destination();
    assertThat(destination).isEqualTo(Path.of("/etc/rabbitmq/conf.d/90-muster.conf"));
    JsonNode muster = m.musterContainer();
    if (muster == rabbit) {
      assertThat(mounts(muster)).containsEntry("/etc/rabbitmq", etc);
    } else {
      JsonNode confD = mount(muster, "/etc/rabbitmq/conf.d");
      assertThat(confD.path("name").asText()).isEqualTo(etc);
      assertThat(confD.path("subPath").asText()).isEqualTo("conf.d");
    }
  }

  /**
   * Fencing: the broker runs under {@code muster exec}, from Muster's runtime and jars that init
   * container muster-install copies out of the Muster image with {@link CopyRuntime}.
   */
  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.ETCD})
  void theBrokerRunsUnderMusterExecFromTheCopiedRuntime(String overlay) throws Exception {
    K8sManifests m = K8sManifests.build(overlay);
    JsonNode install = m.container("initContainers", "muster-install");
    JsonNode rabbit = m.container("containers", "rabbitmq");
    assertThat(m.musterContainer()).isEqualTo(rabbit);
    List<String> copy = command(install);
    int main = copy.indexOf(CopyRuntime.class.getName());
    assertThat(copy.subList(0, main))
        .startsWith("/opt/java/bin/java")
        .containsSubsequence("-cp", "@/app/jib-classpath-file");
    String target = copy.get(main + 1);
    assertThat(copy.subList(main + 2, copy.size()))
        .as("the launcher's JVM options")
        .contains("-XX:+ExitOnOutOfMemoryError")
        .anyMatch(o -> o.startsWith("-Xmx"))
        .allMatch(o -> o.startsWith("-"));
    assertThat(K8sManifests.LAUNCHER).isEqualTo(target + "/bin/muster");
    String bin = mounts(install).get(target);
    assertThat(m.volume(bin).has("emptyDir")).isTrue();
    assertThat(mounts(rabbit)).containsEntry(target, bin);
    assertThat(mount(rabbit, target).path("readOnly").asBoolean()).isTrue();
    assertThat(install.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
    String config = mountOf(rabbit, "muster-config") + "/muster.conf";
    assertThat(command(rabbit))
        .containsExactly(
            K8sManifests.LAUNCHER,
            "exec",
            "--config",
            config,
            "--",
            "docker-entrypoint.sh",
            "rabbitmq-server");
    assertThat(probe(rabbit, "startupProbe")).isEqualTo("/health/started");
    assertThat(probe(rabbit, "livenessProbe")).isEqualTo("/health/live");
    assertPingReadiness(rabbit);
    // the JVM, PID 1 of the container, does not reap; the pod's pause process does
    assertThat(m.pod().path("shareProcessNamespace").asBoolean()).isTrue();
    AgentConfig c = musterConfig(m);
    assertThat(m.pod().path("terminationGracePeriodSeconds").asLong())
        .isGreaterThan(c.exec().stopTimeout().toSeconds());
    assertThat(mounts(rabbit)).containsEntry(c.core().dataDir().toString(), "data");
  }

  @Test
  void theSidecarVariantLeavesTheBrokerAloneAndOnlyHoldsItsStartBack() throws Exception {
    K8sManifests m = K8sManifests.build(K8sManifests.SIDECAR);
    JsonNode muster = m.musterContainer();
    assertThat(muster.path("name").asText()).isEqualTo("muster");
    assertThat(muster.path("restartPolicy").asText()).isEqualTo("Always");
    assertThat(m.pod().path("initContainers")).hasSize(2);
    assertThat(m.pod().path("initContainers").get(1)).isEqualTo(muster);
    assertThat(command(muster)).containsExactly("run", "--config", "/etc/muster/muster.conf");
    assertThat(probe(muster, "startupProbe")).isEqualTo("/health/started");
    assertThat(probe(muster, "livenessProbe")).isEqualTo("/health/live");
    assertThat(probe(muster, "readinessProbe")).isEqualTo("/health/ready");
    JsonNode security = muster.path("securityContext");
    assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(security.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
    assertThat(mounts(muster)).containsKeys("/tmp", "/var/lib/muster", "/etc/muster");
    JsonNode rabbit = m.container("containers", "rabbitmq");
    assertThat(command(rabbit)).containsExactly("docker-entrypoint.sh", "rabbitmq-server");
    assertThat(rabbit.has("startupProbe") || rabbit.has("livenessProbe")).isFalse();
    assertThat(ports(rabbit)).doesNotContainKeys("muster-peer", "muster-health");
    assertThat(mounts(rabbit)).containsOnlyKeys("/var/lib/rabbitmq", "/etc/rabbitmq");
    assertPingReadiness(rabbit);
    assertThat(m.pod().path("shareProcessNamespace").asBoolean(false)).isFalse();
    assertThat(stream(m.pod().path("volumes")).map(v -> v.path("name").asText()))
        .doesNotContain("muster-bin");
  }

  @ParameterizedTest
  @ValueSource(strings = {K8sManifests.K8S, K8sManifests.ETCD, K8sManifests.SIDECAR})
  void musterConfigLoadsWithThePodsEnvironmentAndMatchesTheManifest(String overlay)
      throws Exception {
    K8sManifests m = K8sManifests.build(overlay);
    AgentConfig c = musterConfig(m);
    assertThat(c.core().nodeName())
        .hasToString("rabbit@rabbitmq-1.rabbitmq-headless.messaging.svc.cluster.local");
    assertThat(env(m.container("containers", "rabbitmq")).get("RABBITMQ_NODENAME"))
        .isEqualTo(env(m.musterContainer()).get("RABBITMQ_NODENAME"));
    assertThat(c.core().apiBind()).isEqualTo("127.0.0.1");
    assertThat(c.core().healthPort()).contains(7072);
    assertThat(mounts(m.musterContainer())).containsEntry(c.core().dataDir().toString(), "data");
    assertThat(c.exec().probe()).contains(new ExecSettings.Probe.Tcp("127.0.0.1", 5672));
    assertThat(c.exec().joinWhen()).isEqualTo(ExecSettings.JoinWhen.SEED_READY);
    assertThat(c.apiToken()).isPresent();
    if (!overlay.equals(K8sManifests.ETCD)) {
      assertThat(c.config().get(CoreKeys.BACKEND)).isEqualTo("k8s");
      assertThat(c.core().peerBind()).isEqualTo("0.0.0.0");
      assertThat(c.peerAuth()).isPresent();
    } else {
      assertThat(c.config().get(CoreKeys.BACKEND)).isEqualTo("etcd");
    }
  }

  /** Without kubectl too: each overlay's ConfigMap, as written, loads with the broker's env. */
  @ParameterizedTest
  @ValueSource(strings = {"overlays/k8s/muster-config.yaml", "overlays/etcd/muster-config.yaml"})
  void theOverlaysConfigMapsLoadAsWritten(String file) throws Exception {
    JsonNode rabbit =
        K8sManifests.stream(
                K8sManifests.file("base/rabbitmq.yaml")
                    .get("StatefulSet", "rabbitmq")
                    .path("spec")
                    .path("template")
                    .path("spec")
                    .path("containers"))
            .findFirst()
            .orElseThrow();
    String text =
        K8sManifests.file(file)
            .get("ConfigMap", "muster-config")
            .path("data")
            .path("muster.conf")
            .asText();
    AgentConfig c = musterConfig(file, text, rabbit);
    assertThat(c.render().items().get(0).destination())
        .isEqualTo(Path.of("/etc/rabbitmq/conf.d/90-muster.conf"));
    assertThat(c.exec().stopTimeout().toSeconds()).isEqualTo(90);
  }

  /**
   * One RabbitMQ image and one Muster image everywhere: in every rendered container, in the base's
   * kustomization (the one place they are set), and in the docs, which name no other RabbitMQ
   * image.
   */
  @Test
  void everyManifestAndDocNamesOneRabbitmqAndOneMusterImage() throws Exception {
    String muster = "muster:" + System.getProperty("muster.version");
    for (String overlay : K8sManifests.OVERLAYS) {
      K8sManifests m = K8sManifests.build(overlay);
      for (JsonNode c : m.containers()) {
        String image = c.path("image").asText();
        assertThat(image)
            .as("%s in %s", c.path("name").asText(), overlay)
            .isIn(RABBITMQ_IMAGE, muster);
      }
      assertThat(m.containers().stream().map(c -> c.path("image").asText()))
          .contains(RABBITMQ_IMAGE, muster);
    }
    String tag = RABBITMQ_IMAGE.substring(RABBITMQ_IMAGE.indexOf(':') + 1);
    String base = Files.readString(K8sManifests.DIR.resolve("base/kustomization.yaml"));
    assertThat(base).contains("- name: rabbitmq\n    newTag: \"" + tag + "\"");
    Pattern image = Pattern.compile("rabbitmq:(\\d+\\.\\d+(\\.\\d+)?)");
    List<Path> named = new ArrayList<>();
    for (Path p :
        List.of(
            Path.of("../docs/deploy/kubernetes.md"),
            Path.of("../docs/deploy/rabbitmq.md"),
            Path.of("../README.md"),
            K8sManifests.DIR.resolve("base/rabbitmq.yaml"),
            K8sManifests.DIR.resolve("overlays/k8s-sidecar/sidecar-container.yaml"))) {
      Matcher found = image.matcher(Files.readString(p));
      while (found.find()) {
        assertThat(found.group()).as(p.toString()).isEqualTo(RABBITMQ_IMAGE);
        named.add(p);
      }
    }
    assertThat(named)
        .contains(Path.of("../docs/deploy/kubernetes.md"), Path.of("../docs/deploy/rabbitmq.md"));
    for (String kustomization : List.of("base", "overlays/k8s-sidecar")) {
      assertThat(Files.readString(K8sManifests.DIR.resolve(kustomization + "/kustomization.yaml")))
          .contains("- name: muster\n    newTag: " + System.getProperty("muster.version"));
    }
  }

  private static void assertPingReadiness(JsonNode rabbit) {
    assertThat(
            stream(rabbit.path("readinessProbe").path("exec").path("command"))
                .map(JsonNode::asText))
        .containsExactly("rabbitmq-diagnostics", "-q", "ping");
  }

  private static JsonNode podLabels(K8sManifests m) {
    return m.statefulSet().path("spec").path("template").path("metadata").path("labels");
  }

  /** Where a container mounts the named volume. */
  private static String mountOf(JsonNode container, String volume) {
    return mounts(container).entrySet().stream()
        .filter(e -> e.getValue().equals(volume))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no mount of " + volume));
  }

  private static String probe(JsonNode container, String which) {
    JsonNode get = container.path(which).path("httpGet");
    assertThat(get.path("port").asText()).as(which).isEqualTo("muster-health");
    return get.path("path").asText();
  }

  /** A key of the config, its backend's keys included, as loaded (the default where not set). */
  private static Object setting(AgentConfig c, String pattern) {
    Key<?> key =
        c.factory().keys().stream()
            .filter(k -> k.pattern().equals(pattern))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no key " + pattern));
    return c.config().get(key);
  }

  /** The rendered ConfigMap's muster.conf, loaded with Muster's container's environment. */
  static AgentConfig musterConfig(K8sManifests m) throws Exception {
    return musterConfig("muster-config", m.musterConf(), m.musterContainer());
  }

  /**
   * A muster.conf loaded with a container's environment as the kubelet sets it; the secret files it
   * names are mounted Secrets, played by files in a temporary directory.
   */
  static AgentConfig musterConfig(String name, String text, JsonNode container) throws Exception {
    Map<String, String> env = new HashMap<>(K8sManifests.expandedEnv(container, POD));
    Path secrets = Files.createTempDirectory("muster-secrets");
    for (String key : List.of("muster.peer.secret_file", "muster.api.token_file")) {
      if (setting(text, key) != null) {
        Path f = secrets.resolve(key);
        Files.writeString(f, "0123456789abcdef0123456789abcdef\n");
        env.put(key.toUpperCase(Locale.ROOT).replace(".", "__"), f.toString());
      }
    }
    return AgentConfig.fromText(name, text, env);
  }

  /** The value a config text gives {@code key}, or null. */
  static String setting(String text, String key) {
    return text.lines()
        .map(String::strip)
        .filter(l -> l.startsWith(key + " ="))
        .map(l -> l.substring(l.indexOf('=') + 1).strip())
        .findFirst()
        .orElse(null);
  }
}
