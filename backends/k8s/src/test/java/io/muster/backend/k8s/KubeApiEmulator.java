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
 * discovery.k8s.io/v1}), Endpoints and the Pods behind them ({@code v1}; a terminating pod with
 * {@code metadata.deletionTimestamp}, an unknown or deleted one 404) with Kubernetes' JSON shapes,
 * resourceVersion, bearer-token checks and {@code Status} bodies for 401/403/404, and optionally a
 * Role's rules (resource, verb and resource names, as RBAC authorizes them) for the service
 * account's token. As the EndpointSlice controller does, endpoints go into one slice per address
 * family, at most {@link #maxPerSlice} per slice, each with {@code targetRef}; label selectors take
 * equality and set-based terms; Endpoints follow the Service's {@code publishNotReadyAddresses}
 * (with it, every pod is listed under {@code addresses}, terminating ones included, as the
 * endpoints controller does). Not covered: watches, other resources, field selectors, API groups
 * beyond the resources served.
 */
public final class KubeApiEmulator implements KubeApi {

  /**
   * One endpoint: IP, hostname, ready; terminating shows in EndpointSlices and in its pod, not in
   * Endpoints.
   */
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

  /** A token whose role allows get on endpoints alone (RabbitMQ's RBAC examples). */
  private final String endpointsOnlyToken = "endpoints-only";

  private static final List<Rule> ENDPOINTS_ONLY =
      List.of(new Rule("endpoints", Set.of("get"), Set.of()));

  /** Pods deleted while the Endpoints still list them (until the next {@link #endpoints}). */
  private final Set<String> deletedPods = new java.util.HashSet<>();

  private volatile boolean slices = true;
  private volatile int maxPerSlice = 100;
  private volatile boolean publishNotReady;
  private volatile List<Rule> rules;
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
  @Override
  public String serviceAccount(java.nio.file.Path dir, String token) throws java.io.IOException {
    return KubeObjects.serviceAccount(dir, token)
        + "cluster_formation.k8s.host = localhost\ncluster_formation.k8s.port = "
        + port()
        + "\ncluster_formation.k8s.cert_path = "
        + caPath()
        + "\n";
  }

  @Override
  public synchronized void endpoints(List<Address> list) {
    addresses.clear();
    addresses.addAll(list);
    deletedPods.clear();
    resourceVersion.incrementAndGet();
  }

  @Override
  public synchronized void deletePod(String name) {
    deletedPods.add(name);
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
   * endpointslices, pods) to verbs (get, list). Anything else is 403 with Kubernetes' message.
   */
  public void rules(Map<String, Set<String>> resourceVerbs) {
    rbac(
        resourceVerbs.entrySet().stream()
            .map(e -> new Rule(e.getKey(), e.getValue(), Set.of()))
            .toList());
  }

  /**
   * One Role rule as RBAC applies it: a resource, its verbs and, when {@code names} is not empty,
   * only the objects of those names (a Role's {@code resourceNames}).
   */
  public record Rule(String resource, Set<String> verbs, Set<String> names) {
    public Rule {
      verbs = Set.copyOf(verbs);
      names = Set.copyOf(names);
    }

    /**
     * Whether this rule allows {@code verb} on {@code resource} named {@code name} (null for a
     * list). As in Kubernetes, a rule with resource names allows a list only when it selects one of
     * them by {@code fieldSelector=metadata.name}, which no request here carries: so never.
     */
    boolean allows(String resource, String verb, String name) {
      return this.resource.equals(resource)
          && verbs.contains(verb)
          && (names.isEmpty() || (name != null && names.contains(name)));
    }
  }

  /** Authorize the service account's token as a Role with these rules would (see {@link Rule}). */
  public void rbac(List<Rule> roleRules) {
    rules = List.copyOf(roleRules);
  }

  /** Requests seen per resource ({@code endpoints}, {@code endpointslices}, {@code pods}). */
  public int requests(String resource) {
    AtomicInteger n = requests.get(resource);
    return n == null ? 0 : n.get();
  }

  /** Serve Endpoints only, as clusters without the EndpointSlice API. */
  @Override
  public void disableSlices() {
    slices = false;
  }

  /** At most this many endpoints per slice (the controller's default is 100). */
  @Override
  public void maxPerSlice(int n) {
    maxPerSlice = n;
  }

  /** The Service publishes not-ready addresses (as the shipped headless Services do). */
  @Override
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
    if (!given.equals(token) && !given.equals(endpointsOnlyToken)) {
      status(req, 401, "Unauthorized", "Unauthorized");
      return;
    }
    boolean sliceList =
        path.matches("/apis/discovery\\.k8s\\.io/v1/namespaces/[^/]+/endpointslices");
    boolean endpointsGet = path.matches("/api/v1/namespaces/[^/]+/endpoints/[^/]+");
    boolean podGet = path.matches("/api/v1/namespaces/[^/]+/pods/[^/]+");
    String resource =
        sliceList ? "endpointslices" : endpointsGet ? "endpoints" : podGet ? "pods" : "other";
    requests.computeIfAbsent(resource, r -> new AtomicInteger()).incrementAndGet();
    List<Rule> role = given.equals(endpointsOnlyToken) ? ENDPOINTS_ONLY : rules;
    if (role != null && (sliceList || endpointsGet || podGet)) {
      String verb = sliceList ? "list" : "get";
      String name = sliceList ? null : path.split("/")[6];
      if (role.stream().noneMatch(r -> r.allows(resource, verb, name))) {
        String group = sliceList ? " in API group \"discovery.k8s.io\"" : " in API group \"\"";
        status(
            req,
            403,
            "Forbidden",
            (sliceList
                    ? "endpointslices.discovery.k8s.io"
                    : podGet ? "pods \"" + path.split("/")[6] + "\"" : "endpoints")
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
    if (podGet) {
      String[] parts = path.split("/");
      JsonObject pod = pod(parts[4], parts[6]);
      if (pod == null) {
        status(req, 404, "NotFound", "pods \"" + parts[6] + "\" not found");
        return;
      }
      json(req, pod);
      return;
    }
    status(req, 404, "NotFound", "the server could not find the requested resource");
  }

  private synchronized JsonObject sliceList(String ns, String selector) {
    JsonArray items = new JsonArray();
    List<JsonObject> all =
        KubeObjects.slices(ns, service, addresses, maxPerSlice, resourceVersion.get());
    for (JsonObject slice : all) {
      Map<String, String> labels = new java.util.HashMap<>();
      slice
          .getJsonObject("metadata")
          .getJsonObject("labels")
          .forEach(e -> labels.put(e.getKey(), String.valueOf(e.getValue())));
      if (LabelSelector.parse(selector).matches(labels)) {
        items.add(slice);
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

  private synchronized JsonObject endpoints(String ns, String name) {
    return KubeObjects.endpoints(ns, name, addresses, publishNotReady, resourceVersion.get());
  }

  private synchronized JsonObject pod(String ns, String name) {
    if (deletedPods.contains(name)) {
      return null;
    }
    for (Address a : addresses) {
      if (KubeObjects.podName(a).equals(name)) {
        return KubeObjects.pod(ns, a, resourceVersion.get());
      }
    }
    return null;
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
  public String toString() {
    return "the Kubernetes API emulator";
  }

  @Override
  public void close() {
    vertx.close();
  }
}
