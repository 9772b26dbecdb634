package io.muster.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.muster.backend.k8s.KubeApiEmulator;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Assumptions;

/**
 * deploy/k8s/ as Kubernetes would get it: an overlay rendered by {@code kubectl kustomize} (the
 * tests that need one are skipped where no kubectl is installed), or one file as written; parsed,
 * with lookups by kind and name.
 */
final class K8sManifests {

  static final Path DIR = Path.of("k8s");

  /** The default: the broker under {@code muster exec}, peers from the Kubernetes API. */
  static final String K8S = "overlays/k8s";

  static final String ETCD = "overlays/etcd";

  /** The advisory variant: Muster as a native sidecar. */
  static final String SIDECAR = "overlays/k8s-sidecar";

  static final List<String> OVERLAYS = List.of(K8S, ETCD, SIDECAR);

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Map<String, K8sManifests> RENDERED = new ConcurrentHashMap<>();

  private final List<JsonNode> docs = new ArrayList<>();
  private final String source;

  private K8sManifests(String source) {
    this.source = source;
  }

  /** The objects {@code kubectl kustomize} renders from an overlay (rendered once per run). */
  static K8sManifests build(String overlay) {
    String kubectl = kubectl();
    Assumptions.assumeTrue(
        kubectl != null,
        "kubectl is not installed (MUSTER_KUBECTL or PATH): the kustomize overlays of deploy/k8s"
            + " are not rendered, so the tests of what they render are skipped"
            + " (scripts/install-test-deps installs Debian's kubernetes-client)");
    return RENDERED.computeIfAbsent(overlay, o -> render(kubectl, o));
  }

  /** One file of deploy/k8s as written (no kubectl needed). */
  static K8sManifests file(String file) throws IOException {
    K8sManifests m = new K8sManifests(file);
    m.parse(Files.readString(DIR.resolve(file)));
    return m;
  }

  /** The kubectl the tests run: MUSTER_KUBECTL, else the first on PATH, else null. */
  static String kubectl() {
    String given = System.getenv("MUSTER_KUBECTL");
    if (given != null && !given.isBlank()) {
      return given;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
        return Path.of(dir, "kubectl").toString();
      }
    }
    return null;
  }

  private static K8sManifests render(String kubectl, String overlay) {
    try {
      Path err = Files.createTempFile("kustomize", ".err");
      Process p =
          new ProcessBuilder(kubectl, "kustomize", DIR.resolve(overlay).toString())
              .redirectError(err.toFile())
              .start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError(
            kubectl + " kustomize " + overlay + " failed: " + Files.readString(err));
      }
      Files.delete(err);
      K8sManifests m = new K8sManifests(overlay);
      m.parse(out);
      return m;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + kubectl + " kustomize " + overlay, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void parse(String yaml) throws IOException {
    try (var parser = YAML.getFactory().createParser(yaml)) {
      YAML.readValues(parser, JsonNode.class)
          .forEachRemaining(
              d -> {
                if (d != null && !d.isNull()) {
                  docs.add(d);
                }
              });
    }
  }

  List<JsonNode> docs() {
    return docs;
  }

  /** The objects of a kind. */
  List<JsonNode> all(String kind) {
    return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
  }

  JsonNode get(String kind, String name) {
    return docs.stream()
        .filter(d -> kind.equals(d.path("kind").asText()))
        .filter(d -> name.equals(d.path("metadata").path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + source));
  }

  JsonNode statefulSet() {
    return get("StatefulSet", "rabbitmq");
  }

  /** The pod template's spec. */
  JsonNode pod() {
    return statefulSet().path("spec").path("template").path("spec");
  }

  /** The ConfigMap's muster.conf. */
  String musterConf() {
    return get("ConfigMap", "muster-config").path("data").path("muster.conf").asText();
  }

  /**
   * The container Muster runs in: the broker's, where it runs the broker under {@code muster exec},
   * or the native sidecar {@code muster} of the advisory variant.
   */
  JsonNode musterContainer() {
    List<JsonNode> found =
        Stream.concat(
                stream(pod().path("containers")).filter(c -> command(c).contains(LAUNCHER)),
                stream(pod().path("initContainers"))
                    .filter(c -> "Always".equals(c.path("restartPolicy").asText()))
                    .filter(c -> c.path("image").asText().startsWith("muster:")))
            .toList();
    if (found.size() != 1) {
      throw new AssertionError("Muster runs in " + found.size() + " containers of " + source);
    }
    return found.get(0);
  }

  /** Where the broker's container runs Muster from (copied there by muster-install). */
  static final String LAUNCHER = "/opt/muster/bin/muster";

  /** Every container of the pod, init containers first, in order. */
  List<JsonNode> containers() {
    return Stream.concat(stream(pod().path("initContainers")), stream(pod().path("containers")))
        .toList();
  }

  /** The pod's volume of that name. */
  JsonNode volume(String name) {
    return stream(pod().path("volumes"))
        .filter(v -> name.equals(v.path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name + " in " + source));
  }

  /** The pod template's container (or init container) of that name. */
  JsonNode container(String list, String name) {
    return stream(pod().path(list))
        .filter(c -> name.equals(c.path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + list + " entry " + name + " in " + source));
  }

  /** A container's command and args, as one list. */
  static List<String> command(JsonNode container) {
    return Stream.concat(stream(container.path("command")), stream(container.path("args")))
        .map(JsonNode::asText)
        .toList();
  }

  /** A container's literal environment values by name. */
  static Map<String, String> env(JsonNode container) {
    Map<String, String> env = new TreeMap<>();
    stream(container.path("env"))
        .filter(e -> e.has("value"))
        .forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
    return env;
  }

  /** A container's volume mounts: mount path to volume name. */
  static Map<String, String> mounts(JsonNode container) {
    Map<String, String> mounts = new TreeMap<>();
    stream(container.path("volumeMounts"))
        .forEach(m -> mounts.put(m.path("mountPath").asText(), m.path("name").asText()));
    return mounts;
  }

  /** A container's volume mount at that path, or a missing node. */
  static JsonNode mount(JsonNode container, String path) {
    return stream(container.path("volumeMounts"))
        .filter(m -> path.equals(m.path("mountPath").asText()))
        .findFirst()
        .orElse(com.fasterxml.jackson.databind.node.MissingNode.getInstance());
  }

  /** A container's ports: name to number. */
  static Map<String, Integer> ports(JsonNode container) {
    Map<String, Integer> ports = new TreeMap<>();
    stream(container.path("ports"))
        .forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
    return ports;
  }

  /** The API group each resource the agent reads belongs to. */
  private static final Map<String, String> GROUPS =
      Map.of("endpoints", "", "endpointslices", "discovery.k8s.io", "pods", "");

  /**
   * A Role's rules as RBAC applies them, one per resource of each rule. A rule naming a resource
   * outside its own API group would grant nothing in a real cluster, so it fails here.
   */
  static List<KubeApiEmulator.Rule> rules(JsonNode role) {
    List<KubeApiEmulator.Rule> out = new ArrayList<>();
    stream(role.path("rules"))
        .forEach(
            rule -> {
              Set<String> groups = texts(rule.path("apiGroups"));
              for (String res : texts(rule.path("resources"))) {
                String group = GROUPS.get(res);
                if (group == null || !groups.contains(group)) {
                  throw new AssertionError("rule for " + res + " names API groups " + groups);
                }
                out.add(
                    new KubeApiEmulator.Rule(
                        res, texts(rule.path("verbs")), texts(rule.path("resourceNames"))));
              }
            });
    return out;
  }

  static Set<String> texts(JsonNode array) {
    Set<String> out = new TreeSet<>();
    stream(array).forEach(n -> out.add(n.asText()));
    return out;
  }

  static Stream<JsonNode> stream(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false);
  }

  /**
   * A container's environment as the kubelet expands it: {@code $(VAR)} from earlier entries, with
   * the downward-API fields given in {@code fields} (e.g. POD_NAME).
   */
  static Map<String, String> expandedEnv(JsonNode container, Map<String, String> fields) {
    Map<String, String> env = new TreeMap<>();
    for (JsonNode e : (Iterable<JsonNode>) () -> container.path("env").elements()) {
      String name = e.path("name").asText();
      String value;
      if (e.has("value")) {
        value = e.path("value").asText();
        for (Map.Entry<String, String> known : env.entrySet()) {
          value = value.replace("$(" + known.getKey() + ")", known.getValue());
        }
      } else {
        value = fields.get(name);
        if (value == null) {
          throw new AssertionError("no value given for the downward-API variable " + name);
        }
      }
      env.put(name, value);
    }
    return env;
  }
}
