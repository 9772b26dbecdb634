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
  void serviceAccountMayOnlyGetEndpoints() throws Exception {
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
    assertThat(rules.keySet()).isSubsetOf("endpoints", "endpointslices").isNotEmpty();
    rules.values().forEach(verbs -> assertThat(verbs).containsExactly("get"));
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
    if (file.equals("muster-k8s.yaml")) {
      assertThat(c.config().get(io.muster.config.CoreKeys.BACKEND)).isEqualTo("k8s");
      assertThat(c.core().peerBind()).isEqualTo("0.0.0.0");
    }
  }

  /** The ConfigMap's muster.conf, loaded with the sidecar's environment as the kubelet sets it. */
  static AgentConfig musterConfig(String file, JsonNode muster) throws Exception {
    String text =
        K8sManifests.load(file)
            .get("ConfigMap", "muster-config")
            .path("data")
            .path("muster.conf")
            .asText();
    return AgentConfig.fromText(file, text, K8sManifests.expandedEnv(muster, POD));
  }

  private static String probe(JsonNode container, String which) {
    JsonNode get = container.path(which).path("httpGet");
    assertThat(get.path("port").asText()).as(which).isEqualTo("muster-health");
    return get.path("path").asText();
  }
}
