package io.muster.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.StreamSupport;

/** The YAML documents of deploy/k8s/, parsed, with lookups by kind and name. */
final class K8sManifests {

  static final Path DIR = Path.of("k8s");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final List<JsonNode> docs = new ArrayList<>();

  static K8sManifests load(String... files) throws IOException {
    K8sManifests m = new K8sManifests();
    for (String f : files) {
      try (var parser = YAML.getFactory().createParser(DIR.resolve(f).toFile())) {
        YAML.readValues(parser, JsonNode.class)
            .forEachRemaining(
                d -> {
                  if (d != null && !d.isNull()) {
                    m.docs.add(d);
                  }
                });
      }
    }
    return m;
  }

  List<JsonNode> docs() {
    return docs;
  }

  JsonNode get(String kind, String name) {
    return docs.stream()
        .filter(d -> kind.equals(d.path("kind").asText()))
        .filter(d -> name.equals(d.path("metadata").path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + DIR));
  }

  /** The pod template's container (or init container) of that name. */
  static JsonNode container(JsonNode statefulSet, String list, String name) {
    return stream(statefulSet.path("spec").path("template").path("spec").path(list))
        .filter(c -> name.equals(c.path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + list + " entry " + name));
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

  /** The API group each resource the agent reads belongs to. */
  private static final Map<String, String> GROUPS =
      Map.of("endpoints", "", "endpointslices", "discovery.k8s.io");

  /**
   * A Role's rules as resource to verbs. A rule naming a resource outside its own API group would
   * grant nothing in a real cluster, so it fails here.
   */
  static Map<String, Set<String>> rules(JsonNode role) {
    Map<String, Set<String>> out = new TreeMap<>();
    stream(role.path("rules"))
        .forEach(
            rule -> {
              Set<String> groups = new TreeSet<>();
              stream(rule.path("apiGroups")).forEach(g -> groups.add(g.asText()));
              stream(rule.path("resources"))
                  .forEach(
                      res -> {
                        String group = GROUPS.get(res.asText());
                        if (group == null || !groups.contains(group)) {
                          throw new AssertionError(
                              "rule for " + res.asText() + " names API groups " + groups);
                        }
                      });
              stream(rule.path("resources"))
                  .forEach(
                      res ->
                          stream(rule.path("verbs"))
                              .forEach(
                                  v ->
                                      out.computeIfAbsent(res.asText(), k -> new TreeSet<>())
                                          .add(v.asText())));
            });
    return out;
  }

  static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
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
