package io.muster.backend.consul;

import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consul's HTTP API over the agent's Vert.x WebClient: every request carries the ACL token header
 * (never logged), is bounded, and comes back as a {@link Reply} with Consul's {@code
 * X-Consul-Index}. Failures become one operator-readable line naming the Consul address.
 */
final class ConsulHttp {

  private static final Logger LOG = LoggerFactory.getLogger(ConsulHttp.class);

  /** Bound on a plain call; blocking queries add their wait. */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  private final ConsulSettings settings;
  private final WebClient client;

  ConsulHttp(ConsulSettings settings, Vertx vertx) {
    this.settings = settings;
    WebClientOptions o =
        new WebClientOptions()
            .setDefaultHost(settings.base().getHost().replaceAll("^\\[|]$", ""))
            .setDefaultPort(settings.base().getPort())
            .setConnectTimeout((int) CALL_TIMEOUT.toMillis())
            .setUserAgent("muster")
            .setFollowRedirects(false);
    if ("https".equals(settings.base().getScheme())) {
      o.setSsl(true);
      ConsulSettings.Tls tls = settings.tls();
      if (!tls.verifyPeer()) {
        LOG.warn(
            "cluster_formation.consul.ssl_options.verify = verify_none: Consul's certificate is"
                + " NOT verified");
        o.setTrustAll(true).setVerifyHost(false);
      } else {
        o.setVerifyHost(true);
        tls.caCert()
            .ifPresent(ca -> o.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
      }
      if (tls.cert().isPresent()) {
        o.setKeyCertOptions(
            new PemKeyCertOptions()
                .setCertPath(tls.cert().get().toString())
                .setKeyPath(tls.key().orElseThrow().toString()));
      }
    }
    this.client = WebClient.create(vertx, o);
  }

  /**
   * A Consul answer: status, body, {@code X-Consul-Index} (0 when absent), and whether ACLs
   * filtered results out of it ({@code X-Consul-Results-Filtered-By-ACLs}).
   */
  record Reply(int status, Buffer body, long index, boolean filtered) {
    boolean ok() {
      return status == 200;
    }

    JsonArray array() {
      return body == null || body.length() == 0 ? new JsonArray() : body.toJsonArray();
    }

    JsonObject object() {
      return body.toJsonObject();
    }

    String text() {
      return body == null ? "" : body.toString().trim();
    }
  }

  /**
   * Sends a request. {@code wait}, when given, makes it a blocking query ({@code index} + {@code
   * wait}) and extends the time-out by the wait plus Consul's jitter (wait/16).
   */
  CompletableFuture<Reply> send(
      HttpMethod method, String path, Map<String, String> query, Buffer body, Duration wait) {
    HttpRequest<Buffer> req = client.request(method, path);
    query.forEach(req::addQueryParam);
    settings.aclToken().ifPresent(t -> req.putHeader("X-Consul-Token", t));
    long bound = CALL_TIMEOUT.toMillis();
    if (wait != null) {
      req.addQueryParam("wait", wait.toMillis() + "ms");
      bound += wait.toMillis() + wait.toMillis() / 16;
    }
    req.idleTimeout(bound);
    LOG.debug("consul: {} {} {}", method, path, query);
    var sent = body == null ? req.send() : req.sendBuffer(body);
    return sent.map(ConsulHttp::reply).toCompletionStage().toCompletableFuture();
  }

  CompletableFuture<Reply> get(String path, Map<String, String> query) {
    return send(HttpMethod.GET, path, query, null, null);
  }

  CompletableFuture<Reply> put(String path, Map<String, String> query, Buffer body) {
    return send(HttpMethod.PUT, path, query, body, null);
  }

  private static Reply reply(HttpResponse<Buffer> r) {
    String idx = r.getHeader("X-Consul-Index");
    long index = 0;
    if (idx != null) {
      try {
        index = Long.parseLong(idx.trim());
      } catch (NumberFormatException e) {
        index = 0;
      }
    }
    return new Reply(
        r.statusCode(),
        r.body(),
        index,
        "true".equalsIgnoreCase(r.getHeader("X-Consul-Results-Filtered-By-ACLs")));
  }

  /**
   * {@code PUT /v1/txn}: KV operations applied atomically. 200 = applied, 409 = rolled back (both
   * normal outcomes); anything else fails the future.
   */
  CompletableFuture<Boolean> txn(JsonArray ops, String operation) {
    return put("/v1/txn", Map.of(), Buffer.buffer(ops.encode()))
        .thenApply(
            r -> {
              if (r.status() == 200) {
                return true;
              }
              if (r.status() == 409) {
                LOG.debug("consul: txn rolled back: {}", r.text());
                return false;
              }
              throw failure(operation, r);
            });
  }

  /** One KV operation for {@link #txn}. */
  static JsonObject kvOp(String verb, String key, String value, Long index, String session) {
    JsonObject kv = new JsonObject().put("Verb", verb).put("Key", key);
    if (value != null) {
      kv.put("Value", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
    }
    if (index != null) {
      kv.put("Index", index);
    }
    if (session != null) {
      kv.put("Session", session);
    }
    return new JsonObject().put("KV", kv);
  }

  /** A failed exchange: the operation, the address, and what Consul or the network said. */
  BackendFailure failure(String operation, Reply r) {
    Kind kind =
        r.status() == 403 || r.status() == 401
            ? Kind.AUTH
            : r.status() >= 500 ? Kind.BAD_RESPONSE : Kind.OTHER;
    String what =
        switch (r.status()) {
          case 403, 401 -> "ACL token rejected (" + r.status() + " " + scrub(r.text()) + ")";
          default -> "HTTP " + r.status() + " " + scrub(r.text());
        };
    return new BackendFailure(kind, where() + ": " + operation + " failed: " + what);
  }

  BackendFailure failure(String operation, Throwable t) {
    Throwable c = BackendFailure.unwrap(t);
    if (c instanceof BackendFailure f) {
      return f;
    }
    Kind kind = BackendFailure.classify(c);
    if (kind == Kind.OTHER && String.valueOf(c.getMessage()).toLowerCase().contains("timeout")) {
      kind = Kind.TIMEOUT; // Vert.x's request time-out is no TimeoutException
    }
    String msg = BackendFailure.message(c);
    return new BackendFailure(
        kind,
        where()
            + ": "
            + operation
            + " failed: "
            + kind.name().toLowerCase()
            + " ("
            + scrub(msg)
            + ")");
  }

  private String where() {
    return "consul " + settings.base();
  }

  private String scrub(String text) {
    return BackendFailure.scrub(text, settings.aclToken());
  }

  void close() {
    client.close();
  }

  /**
   * {@code o[key]} when it is an object, else an empty one: Consul writes {@code null} for a
   * service registered without Meta (RabbitMQ's plugin registers so), and a field may be absent
   * from other servers' answers.
   */
  static JsonObject object(JsonObject o, String key) {
    return o.getValue(key) instanceof JsonObject j ? j : new JsonObject();
  }
}
