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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Kubernetes API EMULATOR for tests (no API server can run here): a real HTTPS server with a
 * self-signed certificate for {@code localhost}, serving a Service's EndpointSlices ({@code
 * discovery.k8s.io/v1}) and Endpoints ({@code v1}) with Kubernetes' JSON shapes, resourceVersion,
 * bearer-token checks and {@code Status} bodies for 401/403/404. Not covered: watches, other
 * resources, field selectors, RBAC rules (one token is allowed, one forbidden).
 */
final class KubeApiEmulator implements AutoCloseable {

  /** One endpoint: IP, hostname, ready; terminating shows only in EndpointSlices. */
  record Address(String ip, String hostname, boolean ready, boolean terminating) {
    Address(String ip, String hostname, boolean ready) {
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
  private HttpServer server;

  KubeApiEmulator start() throws Exception {
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

  int port() {
    return server.actualPort();
  }

  /** PEM of the server certificate: the CA to trust. */
  String caPath() {
    return cert.certificatePath();
  }

  synchronized void endpoints(List<Address> list) {
    addresses.clear();
    addresses.addAll(list);
    resourceVersion.incrementAndGet();
  }

  /** The API now accepts only {@code next} (a rotated service account token). */
  void rotateToken(String next) {
    token = next;
  }

  /** Serve Endpoints only, as clusters without the EndpointSlice API. */
  void disableSlices() {
    slices = false;
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
    if (path.matches("/apis/discovery\\.k8s\\.io/v1/namespaces/[^/]+/endpointslices")) {
      if (!slices) {
        status(req, 404, "NotFound", "the server could not find the requested resource");
        return;
      }
      json(req, sliceList(path.split("/")[5], req.getParam("labelSelector")));
      return;
    }
    if (path.matches("/api/v1/namespaces/[^/]+/endpoints/[^/]+")) {
      String[] parts = path.split("/");
      if (!"rabbitmq".equals(parts[6])) {
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
    if ("kubernetes.io/service-name=rabbitmq".equals(selector)) {
      JsonArray eps = new JsonArray();
      for (Address a : addresses) {
        JsonObject e =
            new JsonObject()
                .put("addresses", new JsonArray().add(a.ip()))
                .put(
                    "conditions",
                    new JsonObject()
                        .put("ready", a.ready() && !a.terminating())
                        .put("serving", a.ready())
                        .put("terminating", a.terminating()));
        if (a.hostname() != null) {
          e.put("hostname", a.hostname());
        }
        eps.add(e);
      }
      items.add(
          new JsonObject()
              .put("kind", "EndpointSlice")
              .put("apiVersion", "discovery.k8s.io/v1")
              .put(
                  "metadata",
                  new JsonObject()
                      .put("name", "rabbitmq-abcde")
                      .put("namespace", ns)
                      .put("resourceVersion", Long.toString(resourceVersion.get()))
                      .put(
                          "labels", new JsonObject().put("kubernetes.io/service-name", "rabbitmq")))
              .put("addressType", "IPv4")
              .put("endpoints", eps)
              .put(
                  "ports",
                  new JsonArray()
                      .add(
                          new JsonObject()
                              .put("name", "amqp")
                              .put("port", 5672)
                              .put("protocol", "TCP"))));
    }
    return new JsonObject()
        .put("kind", "EndpointSliceList")
        .put("apiVersion", "discovery.k8s.io/v1")
        .put(
            "metadata",
            new JsonObject().put("resourceVersion", Long.toString(resourceVersion.get())))
        .put("items", items);
  }

  private synchronized JsonObject endpoints(String ns, String name) {
    JsonArray ready = new JsonArray();
    JsonArray notReady = new JsonArray();
    for (Address a : addresses) {
      if (a.terminating()) {
        continue; // Endpoints never lists terminating pods
      }
      JsonObject o = new JsonObject().put("ip", a.ip());
      if (a.hostname() != null) {
        o.put("hostname", a.hostname());
      }
      (a.ready() ? ready : notReady).add(o);
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
