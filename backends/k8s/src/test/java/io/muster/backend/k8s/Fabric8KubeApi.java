package io.muster.backend.k8s;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
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
import java.util.List;

/**
 * fabric8's {@code kubernetes-server-mock} in CRUD mode: a Kubernetes API server written outside
 * this project, which stores what is POSTed and answers list and get with its own shapes (a slice
 * list is {@code "kind": "List"}), label selectors and 404s. Fed over plain HTTP with the resources
 * {@link KubeObjects} builds, as the controllers would write them. It checks no token and no RBAC,
 * and is served over http (its certificate is its own), so those stay with KubeApiEmulator.
 */
final class Fabric8KubeApi implements KubeApi {

  private static final String NS = "messaging";
  private static final String SERVICE = "rabbitmq";

  private final KubernetesMockServer server =
      new KubernetesMockServer(
          new Context(),
          new MockWebServer(),
          new HashMap<>(),
          new KubernetesCrudDispatcher(List.of()),
          false);

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> created = new ArrayList<>();
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
  }

  private void create(String collection, JsonObject resource) throws Exception {
    JsonObject meta = resource.getJsonObject("metadata");
    meta.remove("resourceVersion"); // the server assigns it
    send(
        HttpRequest.newBuilder(uri(collection))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(resource.encode())),
        201);
    created.add(collection + "/" + meta.getString("name"));
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
