package io.muster.backend.k8s;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Service's endpoints as the Kubernetes controllers write them, for the API servers the tests run
 * against (KubeApiEmulator serves them; fabric8's mock server is fed them): EndpointSlices, one per
 * address family and at most {@code maxPerSlice} endpoints each, with conditions and {@code
 * targetRef}; v1 Endpoints as the endpoints controller fills them (with {@code
 * publishNotReadyAddresses}, every pod under {@code addresses}, terminating ones included; without,
 * not-ready pods under {@code notReadyAddresses} and terminating ones left out); and the pods
 * themselves, a terminating one with {@code metadata.deletionTimestamp}.
 */
final class KubeObjects {

  private KubeObjects() {}

  static final String SERVICE_LABEL = "kubernetes.io/service-name";

  /**
   * A service account as the kubelet mounts one: {@code token} and {@code namespace} (messaging)
   * written into {@code dir}; returns the k8s backend's config lines that point at them.
   */
  static String serviceAccount(Path dir, String token) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("token"), token);
    Files.writeString(dir.resolve("namespace"), "messaging\n");
    return "cluster_formation.k8s.token_path = "
        + dir.resolve("token")
        + "\ncluster_formation.k8s.namespace_path = "
        + dir.resolve("namespace")
        + "\n";
  }

  static List<JsonObject> slices(
      String ns,
      String service,
      List<KubeApiEmulator.Address> addresses,
      int maxPerSlice,
      long resourceVersion) {
    List<JsonObject> out = new ArrayList<>();
    for (String family : List.of("IPv4", "IPv6")) {
      List<KubeApiEmulator.Address> of =
          addresses.stream().filter(a -> family.equals(familyOf(a.ip()))).toList();
      for (int from = 0; from < of.size(); from += maxPerSlice) {
        List<KubeApiEmulator.Address> chunk =
            of.subList(from, Math.min(of.size(), from + maxPerSlice));
        out.add(slice(ns, service, family, chunk, out.size(), resourceVersion));
      }
    }
    return out;
  }

  private static String familyOf(String ip) {
    return ip.contains(":") ? "IPv6" : "IPv4";
  }

  private static JsonObject slice(
      String ns,
      String service,
      String family,
      List<KubeApiEmulator.Address> chunk,
      int n,
      long resourceVersion) {
    JsonArray eps = new JsonArray();
    for (KubeApiEmulator.Address a : chunk) {
      JsonObject e =
          new JsonObject()
              .put("addresses", new JsonArray().add(a.ip()))
              .put(
                  "conditions",
                  new JsonObject()
                      .put("ready", a.ready() && !a.terminating())
                      .put("serving", a.ready())
                      .put("terminating", a.terminating()))
              .put("targetRef", podRef(ns, a));
      if (a.hostname() != null) {
        e.put("hostname", a.hostname());
      }
      eps.add(e);
    }
    return new JsonObject()
        .put("kind", "EndpointSlice")
        .put("apiVersion", "discovery.k8s.io/v1")
        .put(
            "metadata",
            new JsonObject()
                .put("name", service + "-" + family.toLowerCase(Locale.ROOT) + "-" + n)
                .put("namespace", ns)
                .put("resourceVersion", Long.toString(resourceVersion))
                .put(
                    "labels",
                    new JsonObject()
                        .put(SERVICE_LABEL, service)
                        .put(
                            "endpointslice.kubernetes.io/managed-by",
                            "endpointslice-controller.k8s.io")))
        .put("addressType", family)
        .put("endpoints", eps)
        .put(
            "ports",
            new JsonArray()
                .add(
                    new JsonObject().put("name", "amqp").put("port", 5672).put("protocol", "TCP")));
  }

  /** The pod behind an address: its hostname where it has one, else a name from its IP. */
  static String podName(KubeApiEmulator.Address a) {
    return a.hostname() != null ? a.hostname() : "pod-" + a.ip().replaceAll("[^0-9a-fA-F]", "-");
  }

  private static JsonObject podRef(String ns, KubeApiEmulator.Address a) {
    return new JsonObject().put("kind", "Pod").put("namespace", ns).put("name", podName(a));
  }

  /**
   * The pod behind an address as the API serves it: a terminating one (its deletion asked for, its
   * containers still stopping) has {@code metadata.deletionTimestamp}.
   */
  static JsonObject pod(String ns, KubeApiEmulator.Address a, long resourceVersion) {
    JsonObject meta =
        new JsonObject()
            .put("name", podName(a))
            .put("namespace", ns)
            .put("resourceVersion", Long.toString(resourceVersion))
            .put("labels", new JsonObject().put("app.kubernetes.io/name", "rabbitmq"));
    if (a.terminating()) {
      meta.put("deletionTimestamp", "2026-01-01T00:00:00Z").put("deletionGracePeriodSeconds", 30);
    }
    return new JsonObject()
        .put("kind", "Pod")
        .put("apiVersion", "v1")
        .put("metadata", meta)
        .put(
            "spec",
            new JsonObject()
                .put(
                    "containers",
                    new JsonArray()
                        .add(
                            new JsonObject().put("name", "rabbitmq").put("image", "rabbitmq:4.1"))))
        .put(
            "status",
            new JsonObject()
                .put("phase", "Running")
                .put("podIP", a.ip())
                .put(
                    "conditions",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("type", "Ready")
                                .put("status", a.ready() && !a.terminating() ? "True" : "False"))));
  }

  static JsonObject endpoints(
      String ns,
      String name,
      List<KubeApiEmulator.Address> addresses,
      boolean publishNotReady,
      long resourceVersion) {
    JsonArray ready = new JsonArray();
    JsonArray notReady = new JsonArray();
    for (KubeApiEmulator.Address a : addresses) {
      if (a.terminating() && !publishNotReady) {
        continue; // the endpoints controller keeps terminating pods only for such Services
      }
      JsonObject o = new JsonObject().put("ip", a.ip()).put("targetRef", podRef(ns, a));
      if (a.hostname() != null) {
        o.put("hostname", a.hostname());
      }
      (a.ready() || publishNotReady ? ready : notReady).add(o);
    }
    JsonObject subset = new JsonObject().put("addresses", ready);
    if (!notReady.isEmpty()) {
      subset.put("notReadyAddresses", notReady);
    }
    subset.put(
        "ports",
        new JsonArray()
            .add(new JsonObject().put("name", "amqp").put("port", 5672).put("protocol", "TCP")));
    return new JsonObject()
        .put("kind", "Endpoints")
        .put("apiVersion", "v1")
        .put(
            "metadata",
            new JsonObject()
                .put("name", name)
                .put("namespace", ns)
                .put("resourceVersion", Long.toString(resourceVersion)))
        .put("subsets", new JsonArray().add(subset));
  }
}
