package io.muster.backend.k8s;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * fabric8's {@code kubernetes-server-mock} in CRUD mode: a Kubernetes API server written outside
 * this project, which stores what is POSTed and answers list and get with its own shapes (a slice
 * list is {@code "kind": "List"}), label selectors and 404s. Fed over plain HTTP with the resources
 * {@link KubeObjects} builds, as the controllers would write them; a terminating pod is made as the
 * API server makes one, by a DELETE of a pod a finalizer holds (a POST drops {@code
 * deletionTimestamp}). It checks no token and no RBAC, and is served over http (its certificate is
 * its own), so those stay with KubeApiEmulator.
 */
final class Fabric8KubeApi implements KubeApi {

  private static final String NS = "messaging";
  private static final String SERVICE = "rabbitmq";

  /** The finalizer that holds a terminating pod (the kubelet's part: its containers stopping). */
  private static final String HOLD = "muster.test/terminating";

  private final KubernetesMockServer server =
      new KubernetesMockServer(
          new Context(),
          new MockWebServer(),
          new HashMap<>(),
          new KubernetesCrudDispatcher(List.of()),
          false);

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> created = new ArrayList<>();

  /** Pods marked for deletion, held by {@link #HOLD} until the next {@link #endpoints}. */
  private final List<String> held = new ArrayList<>();

  private int maxPerSlice = 100;
  private boolean publishNotReady;
  private boolean slices = true;
  private long version;

  Fabric8KubeApi start() throws IOException {
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    return this;
  }

  @Override
  public void maxPerSlice(int n) {
    maxPerSlice = n;
  }

  @Override
  public void publishNotReadyAddresses(boolean on) {
    publishNotReady = on;
  }

  /** No slices are stored: the list answers 200 with no items (this server cannot 404 it). */
  @Override
  public void disableSlices() {
    slices = false;
  }

  @Override
  public void endpoints(List<KubeApiEmulator.Address> list) throws Exception {
    for (String path : held) {
      // the finalizer off, a pod marked for deletion is removed
      send(
          HttpRequest.newBuilder(uri(path))
              .header("Content-Type", "application/merge-patch+json")
              .method(
                  "PATCH",
                  HttpRequest.BodyPublishers.ofString("{\"metadata\":{\"finalizers\":null}}")),
          200);
    }
    held.clear();
    for (String path : created) {
      send(HttpRequest.newBuilder(uri(path)).DELETE(), 200);
    }
    created.clear();
    version++;
    if (slices) {
      for (JsonObject slice : KubeObjects.slices(NS, SERVICE, list, maxPerSlice, version)) {
        create("/apis/discovery.k8s.io/v1/namespaces/" + NS + "/endpointslices", slice);
      }
    }
    create(
        "/api/v1/namespaces/" + NS + "/endpoints",
        KubeObjects.endpoints(NS, SERVICE, list, publishNotReady, version));
    Set<String> pods = new HashSet<>();
    for (KubeApiEmulator.Address a : list) {
      if (!pods.add(KubeObjects.podName(a))) {
        continue; // a dual-stack pod: one pod, an address in each family
      }
      JsonObject pod = KubeObjects.pod(NS, a, version);
      if (!a.terminating()) {
        create("/api/v1/namespaces/" + NS + "/pods", pod);
        continue;
      }
      JsonObject meta = pod.getJsonObject("metadata");
      meta.remove("deletionTimestamp");
      meta.remove("deletionGracePeriodSeconds");
      meta.put("finalizers", new JsonArray().add(HOLD));
      String path = create("/api/v1/namespaces/" + NS + "/pods", pod);
      send(HttpRequest.newBuilder(uri(path)).DELETE(), 200);
      created.remove(path);
      held.add(path);
    }
  }

  @Override
  public void deletePod(String name) throws Exception {
    String path = "/api/v1/namespaces/" + NS + "/pods/" + name;
    send(HttpRequest.newBuilder(uri(path)).DELETE(), 200);
    created.remove(path);
  }

  /** Stores {@code resource} in {@code collection}; returns its path. */
  private String create(String collection, JsonObject resource) throws Exception {
    JsonObject meta = resource.getJsonObject("metadata");
    meta.remove("resourceVersion"); // the server assigns it
    send(
        HttpRequest.newBuilder(uri(collection))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(resource.encode())),
        201);
    String path = collection + "/" + meta.getString("name");
    created.add(path);
    return path;
  }

  private void send(HttpRequest.Builder request, int expected) throws Exception {
    HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new IllegalStateException(
          "fabric8 mock server answered " + r.statusCode() + ": " + r.body());
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getPort() + path);
  }

  @Override
  public String serviceAccount(Path dir, String token) throws IOException {
    return KubeObjects.serviceAccount(dir, token)
        + "cluster_formation.k8s.scheme = http\ncluster_formation.k8s.host = 127.0.0.1\n"
        + "cluster_formation.k8s.port = "
        + server.getPort()
        + "\n";
  }

  @Override
  public String toString() {
    return "fabric8's kubernetes-server-mock";
  }

  @Override
  public void close() {
    server.destroy();
  }
}
