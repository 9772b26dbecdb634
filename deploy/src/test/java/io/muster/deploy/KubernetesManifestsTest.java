package io.muster.deploy;

import static io.muster.deploy.K8sManifests.container;
import static io.muster.deploy.K8sManifests.env;
import static io.muster.deploy.K8sManifests.mounts;
import static io.muster.deploy.K8sManifests.stream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.muster.agent.AgentConfig;
import io.muster.exec.ExecSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/k8s/ parsed as YAML, and the fields the setup relies on checked against each other and
 * against Muster's own config (no Kubernetes API server can run here; KubernetesRbacIT runs the
 * agents on these configs against the API emulator and real etcd).
 */
class KubernetesManifestsTest {

  private static final Map<String, String> POD =
      Map.of("POD_NAME", "rabbitmq-1", "POD_NAMESPACE", "messaging");

  private static JsonNode statefulSet(K8sManifests m) {
    return m.get("StatefulSet", "rabbitmq");
  }

  @Test
  void everyDocumentIsAnObjectWithKindAndName() throws Exception {
    K8sManifests m = K8sManifests.load("rabbitmq.yaml", "muster-k8s.yaml", "muster-etcd.yaml");
    assertThat(m.docs()).hasSizeGreaterThanOrEqualTo(9);
    for (JsonNode d : m.docs()) {
      assertThat(d.path("apiVersion").asText()).as(d.toString()).isNotEmpty();
      assertThat(d.path("kind").asText()).as(d.toString()).isNotEmpty();
      assertThat(d.path("metadata").path("name").asText()).as(d.toString()).isNotEmpty();
    }
  }

  @Test
  void headlessServiceListsNotReadyPodsOfTheStatefulSet() throws Exception {
    K8sManifests m = K8sManifests.load("rabbitmq.yaml");
    JsonNode sts = statefulSet(m);
    JsonNode headless = m.get("Service", sts.path("spec").path("serviceName").asText());
    assertThat(headless.path("spec").path("clusterIP").asText()).isEqualTo("None");
    assertThat(headless.path("spec").path("publishNotReadyAddresses").asBoolean()).isTrue();
    assertThat(headless.path("spec").path("selector"))
        .isEqualTo(sts.path("spec").path("template").path("metadata").path("labels"));
    assertThat(stream(headless.path("spec").path("ports")).map(p -> p.path("port").asInt()))
        .contains(4369, 25672, 7071);
    assertThat(sts.path("spec").path("podManagementPolicy").asText()).isEqualTo("Parallel");
  }

  @Test
  void serviceAccountMayOnlyListEndpointSlicesAndGetEndpoints() throws Exception {
    K8sManifests m = K8sManifests.load("rabbitmq.yaml");
    String account =
        statefulSet(m)
            .path("spec")
            .path("template")
            .path("spec")
            .path("serviceAccountName")
            .asText();
    m.get("ServiceAccount", account);
    JsonNode binding = m.get("RoleBinding", "rabbitmq-peer-discovery");
    assertThat(binding.path("subjects").get(0).path("name").asText()).isEqualTo(account);
    assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("Role");
    JsonNode role = m.get("Role", binding.path("roleRef").path("name").asText());
    Map<String, Set<String>> rules = K8sManifests.rules(role);
    // slices first: only they mark terminating pods (issue 20); Endpoints where slices are absent
    assertThat(rules)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("endpointslices", Set.of("list"), "endpoints", Set.of("get")));
  }

  @Test
  void musterIsANativeSidecarProbedOnItsHealthPortWithTheApiOnLoopback() throws Exception {
    K8sManifests m = K8sManifests.load("rabbitmq.yaml");
    JsonNode muster = container(statefulSet(m), "initContainers", "muster");
    assertThat(muster.path("restartPolicy").asText()).isEqualTo("Always");
    assertThat(muster.path("image").asText())
        .isEqualTo("muster:" + System.getProperty("muster.version"));
    Map<String, Integer> ports = new java.util.TreeMap<>();
    stream(muster.path("ports"))
        .forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
    assertThat(ports).containsEntry("muster-health", 7072).doesNotContainValue(7070);
    assertThat(probe(muster, "startupProbe")).isEqualTo("/health/started");
    assertThat(probe(muster, "livenessProbe")).isEqualTo("/health/live");
    assertThat(probe(muster, "readinessProbe")).isEqualTo("/health/ready");
    JsonNode security = muster.path("securityContext");
    assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(security.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
    // A read-only root: what the JVM and the agent write is mounted.
    assertThat(mounts(muster)).containsKeys("/tmp", "/var/lib/muster", "/etc/muster");
  }

  @Test
  void rabbitmqReadinessIsTheGuidesBasicPingAndItReadsMustersFile() throws Exception {
    K8sManifests m = K8sManifests.load("rabbitmq.yaml");
    JsonNode sts = statefulSet(m);
    JsonNode rabbit = container(sts, "containers", "rabbitmq");
    JsonNode muster = container(sts, "initContainers", "muster");
    assertThat(
            stream(rabbit.path("readinessProbe").path("exec").path("command"))
                .map(JsonNode::asText))
        .containsExactly("rabbitmq-diagnostics", "-q", "ping");
    assertThat(env(rabbit).get("RABBITMQ_NODENAME"))
        .isEqualTo(env(muster).get("RABBITMQ_NODENAME"))
        .startsWith("rabbit@$(POD_NAME).rabbitmq-headless.");
    // The conf.d volume is shared: Muster writes it, RabbitMQ reads conf.d/*.conf from it (the
    // image's default; no RABBITMQ_CONFIG_FILES, which as a directory would read every file).
    String confD = "/etc/rabbitmq/conf.d";
    assertThat(env(rabbit)).doesNotContainKey("RABBITMQ_CONFIG_FILES");
    assertThat(mounts(rabbit).get(confD)).isNotNull().isEqualTo(mounts(muster).get(confD));
    for (String file : List.of("muster-k8s.yaml", "muster-etcd.yaml")) {
      AgentConfig c = musterConfig(file, muster);
      Path destination = c.render().items().get(0).destination();
      assertThat(destination.getParent()).as(file).isEqualTo(Path.of(confD));
      assertThat(destination.getFileName().toString()).endsWith(".conf");
    }
    // RabbitMQ runs as its own user, so its image's entrypoint leaves the data volume alone.
    assertThat(rabbit.path("securityContext").path("runAsUser").asInt()).isEqualTo(999);
  }

  @ParameterizedTest
  @ValueSource(strings = {"muster-k8s.yaml", "muster-etcd.yaml"})
  void musterConfigLoadsWithThePodsEnvironmentAndMatchesTheManifest(String file) throws Exception {
    JsonNode muster =
        container(statefulSet(K8sManifests.load("rabbitmq.yaml")), "initContainers", "muster");
    AgentConfig c = musterConfig(file, muster);
    assertThat(c.core().nodeName())
        .hasToString("rabbit@rabbitmq-1.rabbitmq-headless.messaging.svc.cluster.local");
    assertThat(c.core().apiBind()).isEqualTo("127.0.0.1");
    assertThat(c.core().healthPort()).contains(7072);
    assertThat(c.core().dataDir()).isEqualTo(Path.of("/var/lib/muster"));
    assertThat(c.exec().probe()).contains(new ExecSettings.Probe.Tcp("127.0.0.1", 5672));
    assertThat(c.exec().joinWhen()).isEqualTo(ExecSettings.JoinWhen.SEED_READY);
    assertThat(c.apiToken()).isPresent();
    if (file.equals("muster-k8s.yaml")) {
      assertThat(c.config().get(io.muster.config.CoreKeys.BACKEND)).isEqualTo("k8s");
      assertThat(c.core().peerBind()).isEqualTo("0.0.0.0");
      assertThat(c.peerAuth()).isPresent();
    }
  }

  /**
   * The ConfigMap's muster.conf, loaded with the sidecar's environment as the kubelet sets it; the
   * secret files it names are mounted Secrets, played by files in a temporary directory.
   */
  static AgentConfig musterConfig(String file, JsonNode muster) throws Exception {
    String text = configMapText(file);
    Map<String, String> env = new java.util.HashMap<>(K8sManifests.expandedEnv(muster, POD));
    Path secrets = java.nio.file.Files.createTempDirectory("muster-secrets");
    for (String key : List.of("muster.peer.secret_file", "muster.api.token_file")) {
      if (setting(text, key) != null) {
        Path f = secrets.resolve(key);
        java.nio.file.Files.writeString(f, "0123456789abcdef0123456789abcdef\n");
        env.put(key.toUpperCase(java.util.Locale.ROOT).replace(".", "__"), f.toString());
      }
    }
    return AgentConfig.fromText(file, text, env);
  }

  private static String configMapText(String file) throws Exception {
    return K8sManifests.load(file)
        .get("ConfigMap", "muster-config")
        .path("data")
        .path("muster.conf")
        .asText();
  }

  /** The value a config text gives {@code key}, or null. */
  private static String setting(String text, String key) {
    return text.lines()
        .map(String::strip)
        .filter(l -> l.startsWith(key + " ="))
        .map(l -> l.substring(l.indexOf('=') + 1).strip())
        .findFirst()
        .orElse(null);
  }

  /**
   * Issue 19: the secret files the ConfigMaps name are mounted read-only in the sidecar from the
   * Secrets the header creates, readable by the pod's fsGroup (muster runs as another user), and
   * the k8s backend's peer port is signed while the NetworkPolicy opens it to the pods only.
   */
  @ParameterizedTest
  @ValueSource(strings = {"muster-k8s.yaml", "muster-etcd.yaml"})
  void theSecretFilesTheConfigNamesAreMountedSecrets(String file) throws Exception {
    K8sManifests m = K8sManifests.load("rabbitmq.yaml");
    JsonNode sts = statefulSet(m);
    JsonNode muster = container(sts, "initContainers", "muster");
    String text = configMapText(file);
    Map<String, String> expected =
        file.equals("muster-k8s.yaml")
            ? Map.of(
                "muster.peer.secret_file", "rabbitmq-erlang-cookie",
                "muster.api.token_file", "muster-api-token")
            : Map.of("muster.api.token_file", "muster-api-token");
    String header = java.nio.file.Files.readString(K8sManifests.DIR.resolve("rabbitmq.yaml"));
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Path path = Path.of(setting(text, e.getKey()));
      String volume = mounts(muster).get(path.getParent().toString());
      assertThat(volume).as("%s is on a mounted volume", e.getKey()).isNotNull();
      JsonNode v =
          stream(sts.path("spec").path("template").path("spec").path("volumes"))
              .filter(x -> x.path("name").asText().equals(volume))
              .findFirst()
              .orElseThrow();
      assertThat(v.path("secret").path("secretName").asText()).isEqualTo(e.getValue());
      assertThat(v.path("secret").path("defaultMode").asInt()).isEqualTo(0440);
      assertThat(header).contains("kubectl create secret generic " + e.getValue());
    }
    JsonNode policy = m.get("NetworkPolicy", "rabbitmq-peers");
    JsonNode fromPods = policy.path("spec").path("ingress").get(0);
    assertThat(fromPods.path("from").get(0).path("podSelector").path("matchLabels"))
        .isEqualTo(sts.path("spec").path("template").path("metadata").path("labels"));
    assertThat(stream(fromPods.path("ports")).map(p -> p.path("port").asInt()))
        .containsExactlyInAnyOrder(7071, 4369, 25672);
    assertThat(
            stream(policy.path("spec").path("ingress").get(1).path("ports"))
                .map(p -> p.path("port").asInt()))
        .doesNotContain(7071);
  }

  private static String probe(JsonNode container, String which) {
    JsonNode get = container.path(which).path("httpGet");
    assertThat(get.path("port").asText()).as(which).isEqualTo("muster-health");
    return get.path("path").asText();
  }
}
