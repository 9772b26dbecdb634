package io.muster.backend.k8s;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Kubernetes API EMULATOR for tests (no API server can run here): a real HTTPS server with a
 * self-signed certificate for {@code localhost}, serving a Service's EndpointSlices ({@code
 * discovery.k8s.io/v1}) and Endpoints ({@code v1}) with Kubernetes' JSON shapes, resourceVersion,
 * bearer-token checks and {@code Status} bodies for 401/403/404, and optionally a Role's rules
 * (resource and verb, as RBAC authorizes them) for the service account's token. As the
 * EndpointSlice controller does, endpoints go into one slice per address family, at most {@link
 * #maxPerSlice} per slice, each with {@code targetRef}; label selectors take equality and set-based
 * terms; Endpoints follow the Service's {@code publishNotReadyAddresses} (with it, every pod is
 * listed under {@code addresses}, terminating ones included, as the endpoints controller does). Not
 * covered: watches, other resources, field selectors, API groups beyond the two resources served.
 */
public final class KubeApiEmulator implements AutoCloseable {

  /** One endpoint: IP, hostname, ready; terminating shows only in EndpointSlices. */
  public record Address(String ip, String hostname, boolean ready, boolean terminating) {
    public Address(String ip, String hostname, boolean ready) {
      this(ip, hostname, ready, false);
    }
  }

  private final Vertx vertx = Vertx.vertx();
  private final SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
  private final AtomicLong resourceVersion = new AtomicLong(1000);
  private final List<Address> addresses = new ArrayList<>();
  private volatile String token = "token-1";
  private volatile String forbiddenToken = "forbidden";

  /** A token whose role allows endpoints but not endpointslices (RabbitMQ's RBAC examples). */
  private final String endpointsOnlyToken = "endpoints-only";

  private volatile boolean slices = true;
  private volatile int maxPerSlice = 100;
  private volatile boolean publishNotReady;
  private volatile Map<String, Set<String>> rules;
  private volatile String service = "rabbitmq";
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private HttpServer server;

  public KubeApiEmulator start() throws Exception {
    server =
        vertx
            .createHttpServer(
                new HttpServerOptions().setSsl(true).setKeyCertOptions(cert.keyCertOptions()))
            .requestHandler(this::handle)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    return this;
  }

  public int port() {
    return server.actualPort();
  }

  /** PEM of the server certificate: the CA to trust. */
  public String caPath() {
    return cert.certificatePath();
  }

  /**
   * A service account for this API, as the kubelet mounts one: {@code token} and {@code namespace}
   * (messaging) written into {@code dir}; returns the k8s backend's config lines that point at
   * them, at this server and at its CA.
   */
  public String serviceAccount(java.nio.file.Path dir, String token) throws java.io.IOException {
    java.nio.file.Files.createDirectories(dir);
    java.nio.file.Files.writeString(dir.resolve("token"), token);
    java.nio.file.Files.writeString(dir.resolve("namespace"), "messaging\n");
    return "cluster_formation.k8s.host = localhost\ncluster_formation.k8s.port = "
        + port()
        + "\ncluster_formation.k8s.token_path = "
        + dir.resolve("token")
        + "\ncluster_formation.k8s.namespace_path = "
        + dir.resolve("namespace")
        + "\ncluster_formation.k8s.cert_path = "
        + caPath()
        + "\n";
  }

  public synchronized void endpoints(List<Address> list) {
    addresses.clear();
    addresses.addAll(list);
    resourceVersion.incrementAndGet();
  }

  /** The API now accepts only {@code next} (a rotated service account token). */
  void rotateToken(String next) {
    token = next;
  }

  /** The Service whose endpoints are served ({@code rabbitmq} unless set). */
  public void service(String name) {
    service = name;
  }

  /** The service account token ({@code token-1} until rotated). */
  public String token() {
    return token;
  }

  /**
   * Authorize the service account's token as a Role with these rules would: resource (endpoints,
   * endpointslices) to verbs (get, list). Anything else is 403 with Kubernetes' message.
   */
  public void rules(Map<String, Set<String>> resourceVerbs) {
    rules = Map.copyOf(resourceVerbs);
  }

  /** Requests seen per resource ({@code endpoints}, {@code endpointslices}), any status. */
  public int requests(String resource) {
    AtomicInteger n = requests.get(resource);
    return n == null ? 0 : n.get();
  }

  /** Serve Endpoints only, as clusters without the EndpointSlice API. */
  void disableSlices() {
    slices = false;
  }

  /** At most this many endpoints per slice (the controller's default is 100). */
  public void maxPerSlice(int n) {
    maxPerSlice = n;
  }

  /** The Service publishes not-ready addresses (as the shipped headless Services do). */
  public void publishNotReadyAddresses(boolean on) {
    publishNotReady = on;
  }

  /**
   * The {@code kind} of the slice list answer ({@code EndpointSliceList}; fabric8's mock: List).
   */
  private volatile String sliceListKind = "EndpointSliceList";

  void sliceListKind(String kind) {
    sliceListKind = kind;
  }

  private void handle(HttpServerRequest req) {
    String auth = req.getHeader("Authorization");
    if (auth == null || !auth.startsWith("Bearer ")) {
      status(req, 401, "Unauthorized", "Unauthorized");
      return;
    }
    String given = auth.substring(7);
    if (given.equals(forbiddenToken)) {
      status(
          req,
          403,
          "Forbidden",
          "endpoints is forbidden: User \"system:serviceaccount:ns:default\" cannot list resource");
      return;
    }
    String path = req.path();
    if (given.equals(endpointsOnlyToken) && path.contains("/endpointslices")) {
      status(
          req,
          403,
          "Forbidden",
          "endpointslices.discovery.k8s.io is forbidden: User \"system:serviceaccount:ns:default\""
              + " cannot list resource \"endpointslices\"");
      return;
    }
    if (!given.equals(token) && !given.equals(endpointsOnlyToken)) {
      status(req, 401, "Unauthorized", "Unauthorized");
      return;
    }
    boolean sliceList =
        path.matches("/apis/discovery\\.k8s\\.io/v1/namespaces/[^/]+/endpointslices");
    boolean endpointsGet = path.matches("/api/v1/namespaces/[^/]+/endpoints/[^/]+");
    String resource = sliceList ? "endpointslices" : endpointsGet ? "endpoints" : "other";
    requests.computeIfAbsent(resource, r -> new AtomicInteger()).incrementAndGet();
    Map<String, Set<String>> role = rules;
    if (role != null && (sliceList || endpointsGet)) {
      String verb = sliceList ? "list" : "get";
      if (!role.getOrDefault(resource, Set.of()).contains(verb)) {
        String group = sliceList ? " in API group \"discovery.k8s.io\"" : " in API group \"\"";
        status(
            req,
            403,
            "Forbidden",
            (sliceList ? "endpointslices.discovery.k8s.io" : "endpoints")
                + " is forbidden: User \"system:serviceaccount:default:rabbitmq\" cannot "
                + verb
                + " resource \""
                + resource
                + "\""
                + group
                + " in the namespace \""
                + path.split("/")[sliceList ? 5 : 4]
                + "\"");
        return;
      }
    }
    if (sliceList) {
      if (!slices) {
        status(req, 404, "NotFound", "the server could not find the requested resource");
        return;
      }
      json(req, sliceList(path.split("/")[5], req.getParam("labelSelector")));
      return;
    }
    if (endpointsGet) {
      String[] parts = path.split("/");
      if (!service.equals(parts[6])) {
        status(req, 404, "NotFound", "endpoints \"" + parts[6] + "\" not found");
        return;
      }
      json(req, endpoints(parts[4], parts[6]));
      return;
    }
    status(req, 404, "NotFound", "the server could not find the requested resource");
  }

  private synchronized JsonObject sliceList(String ns, String selector) {
    JsonArray items = new JsonArray();
    Map<String, String> labels =
        Map.of(
            "kubernetes.io/service-name",
            service,
            "endpointslice.kubernetes.io/managed-by",
            "endpointslice-controller.k8s.io");
    if (LabelSelector.parse(selector).matches(labels)) {
      for (String family : List.of("IPv4", "IPv6")) {
        List<Address> of = addresses.stream().filter(a -> family.equals(familyOf(a.ip()))).toList();
        for (int from = 0; from < of.size(); from += maxPerSlice) {
          List<Address> chunk = of.subList(from, Math.min(of.size(), from + maxPerSlice));
          items.add(slice(ns, family, chunk, labels, items.size()));
        }
      }
    }
    return new JsonObject()
        .put("kind", sliceListKind)
        .put("apiVersion", "discovery.k8s.io/v1")
        .put(
            "metadata",
            new JsonObject().put("resourceVersion", Long.toString(resourceVersion.get())))
        .put("items", items);
  }

  private static String familyOf(String ip) {
    return ip.contains(":") ? "IPv6" : "IPv4";
  }

  private JsonObject slice(
      String ns, String family, List<Address> chunk, Map<String, String> labels, int n) {
    JsonArray eps = new JsonArray();
    for (Address a : chunk) {
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
                .put("name", service + "-" + family.toLowerCase(java.util.Locale.ROOT) + "-" + n)
                .put("namespace", ns)
                .put("resourceVersion", Long.toString(resourceVersion.get()))
                .put("labels", new JsonObject(new java.util.HashMap<>(labels))))
        .put("addressType", family)
        .put("endpoints", eps)
        .put(
            "ports",
            new JsonArray()
                .add(
                    new JsonObject().put("name", "amqp").put("port", 5672).put("protocol", "TCP")));
  }

  /** The pod behind an address: its hostname where it has one, else a name from its IP. */
  private static JsonObject podRef(String ns, Address a) {
    String pod =
        a.hostname() != null ? a.hostname() : "pod-" + a.ip().replaceAll("[^0-9a-fA-F]", "-");
    return new JsonObject().put("kind", "Pod").put("namespace", ns).put("name", pod);
  }

  private synchronized JsonObject endpoints(String ns, String name) {
    JsonArray ready = new JsonArray();
    JsonArray notReady = new JsonArray();
    for (Address a : addresses) {
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
                .put("resourceVersion", Long.toString(resourceVersion.get())))
        .put("subsets", new JsonArray().add(subset));
  }

  private static void status(HttpServerRequest req, int code, String reason, String message) {
    req.response()
        .setStatusCode(code)
        .putHeader("Content-Type", "application/json")
        .end(
            new JsonObject()
                .put("kind", "Status")
                .put("apiVersion", "v1")
                .put("metadata", new JsonObject())
                .put("status", "Failure")
                .put("message", message)
                .put("reason", reason)
                .put("code", code)
                .encode());
  }

  private static void json(HttpServerRequest req, JsonObject body) {
    req.response().putHeader("Content-Type", "application/json").end(body.encode());
  }

  @Override
  public void close() {
    vertx.close();
  }
}
