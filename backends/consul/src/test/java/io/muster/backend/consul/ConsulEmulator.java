package io.muster.backend.consul;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Consul EMULATOR for tests (no Consul binary can be installed here): a real HTTP server on
 * 127.0.0.1 implementing the part of Consul's HTTP API the backend uses, with Consul's documented
 * semantics and wire shapes. One emulated agent node; all state lives on one event loop.
 *
 * <p>Covered: agent service register/deregister with a TTL check (initial status, TTL expiry to
 * critical, reaping after DeregisterCriticalServiceAfter), check pass/warn/fail with Consul's 404
 * for unknown checks, {@code /v1/health/service} with {@code passing} and {@code tag} filters,
 * sessions (TTL 10s-24h validated, renew, destroy, info, behavior release/delete, lock-delay), KV
 * get/put/delete with {@code acquire}, {@code release} and {@code cas}, {@code /v1/txn} with the KV
 * verbs, blocking queries ({@code index}, {@code wait}, {@code X-Consul-Index}) on health and KV,
 * an ACL token check (403), and a token whose health reads are filtered by ACLs.
 *
 * <p>Instances on other nodes come from {@code PUT /v1/catalog/register} (Node, Address, Service
 * with or without Meta and Address, Checks with fixed statuses); each node has a serfHealth check
 * (a test control turns it critical), and {@code ?passing} filters on every check, the node's too.
 *
 * <p>Not covered: several datacenters, gossip itself, the 2x TTL grace Consul may take before
 * invalidating a session (invalidated at TTL here), Consul's 30 s reaper period (reaped on the next
 * 50 ms tick here), ACL policies and rules, KV recursion, node, service and check operations in
 * transactions, skipping writes that change nothing, and stale/consistent read modes.
 */
public final class ConsulEmulator implements AutoCloseable {

  /** The node of the emulated agent, where agent registrations land. */
  static final String AGENT_NODE = "consul-emulator";

  /** Each node's serfHealth status (a node's gossip health; absent: passing). */
  private final Map<String, String> serfHealth = new LinkedHashMap<>();

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  private final Vertx vertx = Vertx.vertx();
  private final String token;
  private String filteredToken;

  /** Per service name: the index of the last change to any of its instances (incl. removal). */
  private final Map<String, Long> serviceIndex = new LinkedHashMap<>();

  private HttpServer server;
  private long index = 1;
  private final Map<String, Service> services = new LinkedHashMap<>();
  private final Map<String, Session> sessions = new LinkedHashMap<>();
  private final Map<String, Entry> kv = new LinkedHashMap<>();
  private final Map<String, Long> lockDelayUntil = new LinkedHashMap<>();
  private final List<Parked> parked = new ArrayList<>();
  private volatile int requests;
  private final Map<String, LongAdder> byEndpoint = new ConcurrentHashMap<>();

  private static final class Service {
    /** The Consul node the instance is on: this agent's, or another's (catalog registration). */
    String node = AGENT_NODE;

    String nodeAddress = "127.0.0.1";

    /** Checks given at catalog registration: fixed statuses, no TTL. */
    JsonArray catalogChecks = new JsonArray();

    JsonObject def;
    String id;
    String name;
    String checkId;
    String status;
    String output = "";
    long ttlMs;
    long deadline;
    long deregisterAfterMs = -1;
    long criticalSince = -1;
    long createIndex;
    long modifyIndex;
  }

  private static final class Session {
    String id;
    String name;
    long ttlMs;
    long deadline;
    String behavior;
    long lockDelayMs;
    long createIndex;
    List<String> checks = List.of();
  }

  private static final class Entry {
    String key;
    byte[] value;
    String session;
    long lockIndex;
    long createIndex;
    long modifyIndex;
  }

  private record Parked(
      RoutingContext ctx, long after, Supplier<Long> index, Runnable answer, long timer) {}

  /**
   * @param token the ACL token every request must carry, or null for ACLs off
   */
  public ConsulEmulator(String token) {
    this.token = token;
  }

  /**
   * A second token whose health reads come back as Consul answers a token without node:read: 200,
   * an empty list, and {@code X-Consul-Results-Filtered-By-ACLs: true}.
   */
  ConsulEmulator withFilteredToken(String filtered) {
    this.filteredToken = filtered;
    return this;
  }

  public ConsulEmulator start() throws Exception {
    Router r = Router.router(vertx);
    r.route().handler(BodyHandler.create());
    r.route().handler(this::acl);
    r.put("/v1/agent/service/register").handler(this::register);
    r.put("/v1/agent/service/deregister/:id").handler(this::deregister);
    r.put("/v1/agent/check/:verb/:id").handler(this::checkUpdate);
    r.get("/v1/health/service/:name").handler(this::health);
    r.put("/v1/catalog/register").handler(this::catalogRegister);
    r.put("/v1/session/create").handler(this::sessionCreate);
    r.put("/v1/session/renew/:id").handler(this::sessionRenew);
    r.put("/v1/session/destroy/:id").handler(this::sessionDestroy);
    r.get("/v1/session/info/:id").handler(this::sessionInfo);
    r.getWithRegex("/v1/kv/(?<key>.+)").handler(this::kvGet);
    r.putWithRegex("/v1/kv/(?<key>.+)").handler(this::kvPut);
    r.deleteWithRegex("/v1/kv/(?<key>.+)").handler(this::kvDelete);
    r.put("/v1/txn").handler(this::txn);
    server =
        vertx
            .createHttpServer()
            .requestHandler(r)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    vertx.setPeriodic(50, t -> tick());
    return this;
  }

  public int port() {
    return server.actualPort();
  }

  public String address() {
    return "127.0.0.1:" + port();
  }

  /** How many requests were served (to check that watching does not poll). */
  int requests() {
    return requests;
  }

  /**
   * Requests served so far by endpoint, e.g. {@code PUT /v1/agent/check/pass} or {@code GET
   * /v1/health/service (blocking)} (a blocking query: one per answer, however long it waited).
   */
  public Map<String, Long> requestsByEndpoint() {
    Map<String, Long> out = new TreeMap<>();
    byEndpoint.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** The method and path without its variable parts (IDs, names, keys). */
  static String endpoint(String method, String path, boolean blocking) {
    String[] seg = path.split("/"); // "", "v1", area, ...
    String area = seg.length > 2 ? seg[2] : "";
    int keep =
        switch (area) {
          case "kv", "txn" -> 3; // /v1/kv/KEY, /v1/txn
          case "agent" -> 5; // /v1/agent/service/register, /v1/agent/check/pass/ID
          default -> 4; // /v1/health/service/NAME, /v1/session/renew/ID
        };
    String base = String.join("/", Arrays.copyOf(seg, Math.min(keep, seg.length)));
    return method + " " + base + (blocking ? " (blocking)" : "");
  }

  /** Runs {@code action} on the emulator's event loop and waits (test control). */
  <T> T call(Supplier<T> action) {
    try {
      return vertx
          .<T>executeBlocking(() -> action.get(), true)
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The service's CreateIndex, or 0 when it is not registered (test control). */
  long createIndex(String serviceId) {
    return call(() -> services.containsKey(serviceId) ? services.get(serviceId).createIndex : 0L);
  }

  /**
   * The node's serfHealth check goes critical for a moment (a gossip flap): Consul invalidates
   * every session bound to it (test control). Returns how many were invalidated.
   */
  int flapSerfHealth() {
    return call(
        () -> {
          List<Session> bound =
              sessions.values().stream().filter(s -> s.checks.contains("serfHealth")).toList();
          bound.forEach(this::invalidate);
          changed();
          return bound.size();
        });
  }

  /** How many sessions exist (test control). */
  int sessionCount() {
    return call(sessions::size);
  }

  /** Removes a service as Consul's reaper would (test control). */
  void reap(String serviceId) {
    vertx.runOnContext(
        v -> {
          services.remove(serviceId);
          changed();
        });
  }

  // ---- ACL ----

  private void acl(RoutingContext ctx) {
    requests++;
    byEndpoint
        .computeIfAbsent(
            endpoint(
                ctx.request().method().name(),
                ctx.request().path(),
                ctx.request().getParam("index") != null),
            k -> new LongAdder())
        .increment();
    String given = ctx.request().getHeader("X-Consul-Token");
    if (filteredToken != null && filteredToken.equals(given)) {
      if (ctx.request().path().startsWith("/v1/health/")) {
        ctx.response()
            .putHeader("X-Consul-Results-Filtered-By-ACLs", "true")
            .putHeader("X-Consul-Index", Long.toString(index));
        json(ctx, new JsonArray());
        return;
      }
      ctx.next();
      return;
    }
    if (token != null && !token.equals(given)) {
      ctx.response().setStatusCode(403).end("ACL not found");
      return;
    }
    ctx.next();
  }

  // ---- agent services and checks ----

  private void register(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String name = body.getString("Name");
    if (name == null || name.isEmpty()) {
      ctx.response().setStatusCode(400).end("Missing service name");
      return;
    }
    JsonObject check = body.getJsonObject("Check");
    Service s = services.getOrDefault(body.getString("ID", name), new Service());
    s.def = body;
    s.id = body.getString("ID", name);
    s.name = name;
    s.createIndex = s.createIndex == 0 ? ++index : s.createIndex;
    s.modifyIndex = ++index;
    if (check != null && check.getString("TTL") != null) {
      s.checkId = check.getString("CheckID", "service:" + s.id);
      s.ttlMs = millis(check.getString("TTL"));
      s.status = check.getString("Status", "critical");
      s.deadline = now() + s.ttlMs;
      s.criticalSince = "critical".equals(s.status) ? now() : -1;
      String after = check.getString("DeregisterCriticalServiceAfter");
      // Consul raises anything below its 1 minute minimum to 1 minute.
      s.deregisterAfterMs = after == null ? -1 : Math.max(millis(after), 60_000);
    }
    services.put(s.id, s);
    touch(s.name);
    changed();
    ctx.response().end();
  }

  private void deregister(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Service gone = services.remove(id);
    if (gone == null) {
      ctx.response().setStatusCode(404).end("Unknown service ID \"" + id + "\"");
      return;
    }
    index++;
    touch(gone.name);
    changed();
    ctx.response().end();
  }

  private void checkUpdate(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String verb = ctx.pathParam("verb");
    Service s =
        services.values().stream().filter(x -> id.equals(x.checkId)).findFirst().orElse(null);
    if (s == null) {
      ctx.response()
          .setStatusCode(404)
          .end(
              "Unknown check ID \""
                  + id
                  + "\". Ensure that the check ID is passed, not the check name.");
      return;
    }
    String status =
        switch (verb) {
          case "pass" -> "passing";
          case "warn" -> "warning";
          case "fail" -> "critical";
          default -> null;
        };
    if (status == null) {
      ctx.response().setStatusCode(404).end();
      return;
    }
    s.output = String.valueOf(ctx.request().getParam("note", ""));
    s.deadline = now() + s.ttlMs;
    setStatus(s, status);
    ctx.response().end();
  }

  private void setStatus(Service s, String status) {
    if (!status.equals(s.status)) {
      s.status = status;
      s.criticalSince = "critical".equals(status) ? now() : -1;
      s.modifyIndex = ++index;
      touch(s.name);
      changed();
    }
  }

  private void touch(String serviceName) {
    serviceIndex.put(serviceName, index);
  }

  private void health(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    boolean passing =
        ctx.request().params().contains("passing")
            && !"false".equals(ctx.request().getParam("passing"));
    String tag = ctx.request().getParam("tag");
    blocking(
        ctx,
        () -> serviceIndex.getOrDefault(name, index),
        () -> {
          JsonArray out = new JsonArray();
          for (Service s : services.values()) {
            if (!s.name.equals(name)) {
              continue;
            }
            JsonArray tags = s.def.getJsonArray("Tags", new JsonArray());
            if (tag != null && !tags.contains(tag)) {
              continue;
            }
            JsonObject entry = entry(s, tags);
            if (passing && !allPassing(entry.getJsonArray("Checks"))) {
              continue; // Consul's ?passing: every check of the instance, its node's included
            }
            out.add(entry);
          }
          json(ctx, out);
        });
  }

  private static boolean allPassing(JsonArray checks) {
    return checks.stream().allMatch(c -> "passing".equals(((JsonObject) c).getString("Status")));
  }

  private JsonObject entry(Service s, JsonArray tags) {
    JsonObject node =
        new JsonObject()
            .put("ID", UUID.nameUUIDFromBytes(s.node.getBytes()).toString())
            .put("Node", s.node)
            .put("Address", s.nodeAddress)
            .put("Datacenter", "dc1");
    JsonObject svc =
        new JsonObject()
            .put("ID", s.id)
            .put("Service", s.name)
            .put("Tags", tags)
            .put("Address", s.def.getString("Address", ""))
            // as Consul: null when the service was registered without Meta
            .put("Meta", s.def.getJsonObject("Meta"))
            .put("Port", s.def.getInteger("Port", 0))
            .put("CreateIndex", s.createIndex)
            .put("ModifyIndex", s.modifyIndex);
    JsonArray checks =
        new JsonArray()
            .add(
                new JsonObject()
                    .put("Node", s.node)
                    .put("CheckID", "serfHealth")
                    .put("Name", "Serf Health Status")
                    .put("Status", serfHealth.getOrDefault(s.node, "passing"))
                    .put("ServiceID", "")
                    .put("ServiceName", ""));
    if (s.checkId != null) {
      checks.add(
          new JsonObject()
              .put("Node", s.node)
              .put("CheckID", s.checkId)
              .put("Name", s.def.getJsonObject("Check").getString("Name", "Service check"))
              .put("Status", s.status)
              .put("Output", s.output)
              .put("ServiceID", s.id)
              .put("ServiceName", s.name)
              .put("Type", "ttl"));
    }
    for (Object c : s.catalogChecks) {
      checks.add(((JsonObject) c).copy().put("Node", s.node));
    }
    return new JsonObject().put("Node", node).put("Service", svc).put("Checks", checks);
  }

  /**
   * {@code PUT /v1/catalog/register}: an instance on another node, as an external service or
   * another agent's would appear: {@code Node}, {@code Address}, {@code Service} (ID, Service,
   * Address, Tags, Meta, Port) and {@code Checks} with fixed statuses.
   */
  private void catalogRegister(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String node = body.getString("Node");
    JsonObject svc = body.getJsonObject("Service");
    if (node == null || node.isEmpty() || svc == null) {
      ctx.response().setStatusCode(400).end("Must provide node and service");
      return;
    }
    String name = svc.getString("Service");
    Service s = new Service();
    s.node = node;
    s.nodeAddress = body.getString("Address", "");
    s.id = svc.getString("ID", name);
    s.name = name;
    s.def = svc.copy().put("Name", name);
    s.status = "passing";
    s.createIndex = ++index;
    s.modifyIndex = s.createIndex;
    JsonArray checks = body.getJsonArray("Checks", new JsonArray());
    if (body.getJsonObject("Check") != null) {
      checks = checks.copy().add(body.getJsonObject("Check"));
    }
    for (Object c : checks) {
      JsonObject check = (JsonObject) c;
      if ("serfHealth".equals(check.getString("CheckID"))) {
        serfHealth.put(node, check.getString("Status", "critical"));
      } else {
        s.catalogChecks.add(
            check.copy().put("ServiceID", s.id).put("ServiceName", name).put("Type", ""));
      }
    }
    services.put(s.id, s);
    touch(name);
    changed();
    ctx.response().putHeader("Content-Type", "application/json").end("true");
  }

  /**
   * Registers an instance through {@code PUT /v1/catalog/register} over HTTP, as a test would do
   * against a real Consul: {@code node} and its address, the service (ID, name, address, tags, Meta
   * or none) and checks with fixed statuses ({@code serfHealth} sets the node's).
   */
  public void catalogRegister(
      String node,
      String nodeAddress,
      String id,
      String service,
      String address,
      List<String> tags,
      JsonObject meta,
      Map<String, String> checks)
      throws Exception {
    JsonObject svc =
        new JsonObject()
            .put("ID", id)
            .put("Service", service)
            .put("Address", address)
            .put("Tags", new JsonArray(tags))
            .put("Port", 5672);
    if (meta != null) {
      svc.put("Meta", meta);
    }
    JsonArray list = new JsonArray();
    checks.forEach(
        (checkId, status) ->
            list.add(
                new JsonObject()
                    .put("CheckID", checkId)
                    .put("Name", checkId)
                    .put("Status", status)));
    JsonObject body =
        new JsonObject()
            .put("Node", node)
            .put("Address", nodeAddress)
            .put("Service", svc)
            .put("Checks", list);
    var request =
        HttpRequest.newBuilder(URI.create("http://" + address() + "/v1/catalog/register"))
            .PUT(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      request.header("X-Consul-Token", token);
    }
    var response =
        HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("catalog register: " + response.statusCode());
    }
  }

  /** A node's serfHealth check changes status (test control). */
  void serfHealth(String node, String status) {
    vertx.runOnContext(
        v -> {
          serfHealth.put(node, status);
          index++;
          services.values().stream().filter(x -> x.node.equals(node)).forEach(x -> touch(x.name));
          changed();
        });
  }

  // ---- sessions ----

  private void sessionCreate(RoutingContext ctx) {
    JsonObject body = ctx.body().length() == 0 ? new JsonObject() : ctx.body().asJsonObject();
    Session s = new Session();
    s.id = UUID.randomUUID().toString();
    s.name = body.getString("Name", "");
    s.behavior = body.getString("Behavior", "release");
    s.lockDelayMs = body.containsKey("LockDelay") ? millis(body.getString("LockDelay")) : 15_000;
    String ttl = body.getString("TTL");
    if (ttl != null) {
      s.ttlMs = millis(ttl);
      if (s.ttlMs < 10_000 || s.ttlMs > 86_400_000) {
        ctx.response()
            .setStatusCode(500)
            .end(
                "Invalid Session TTL '" + s.ttlMs * 1_000_000 + "', must be between [10s=24h0m0s]");
        return;
      }
      s.deadline = now() + s.ttlMs;
    }
    if (!"release".equals(s.behavior) && !"delete".equals(s.behavior)) {
      ctx.response().setStatusCode(500).end("Invalid Behavior setting '" + s.behavior + "'");
      return;
    }
    // Consul binds a session to the node's serfHealth check unless Checks (or NodeChecks) says
    // otherwise: a gossip flap then invalidates it (the session API's documented default)
    JsonArray checks = body.getJsonArray("Checks", body.getJsonArray("NodeChecks"));
    s.checks =
        checks == null ? List.of("serfHealth") : checks.stream().map(String::valueOf).toList();
    s.createIndex = ++index;
    sessions.put(s.id, s);
    json(ctx, new JsonObject().put("ID", s.id));
  }

  private void sessionRenew(RoutingContext ctx) {
    Session s = sessions.get(ctx.pathParam("id"));
    if (s == null) {
      ctx.response().setStatusCode(404).end("Session id '" + ctx.pathParam("id") + "' not found");
      return;
    }
    s.deadline = now() + s.ttlMs;
    json(ctx, new JsonArray().add(sessionJson(s)));
  }

  private void sessionDestroy(RoutingContext ctx) {
    Session s = sessions.get(ctx.pathParam("id"));
    if (s != null) {
      invalidate(s);
    }
    ctx.response().end("true");
  }

  private void sessionInfo(RoutingContext ctx) {
    Session s = sessions.get(ctx.pathParam("id"));
    json(ctx, s == null ? new JsonArray() : new JsonArray().add(sessionJson(s)));
  }

  private JsonObject sessionJson(Session s) {
    return new JsonObject()
        .put("ID", s.id)
        .put("Name", s.name)
        .put("Node", AGENT_NODE)
        .put("LockDelay", s.lockDelayMs * 1_000_000)
        .put("Behavior", s.behavior)
        .put("TTL", s.ttlMs / 1000 + "s")
        .put("NodeChecks", new JsonArray(s.checks))
        // deprecated alias Consul still returns beside NodeChecks
        .put("Checks", new JsonArray(s.checks))
        .put("ServiceChecks", null)
        .put("CreateIndex", s.createIndex);
  }

  /** Session invalidation: release (with lock-delay) or delete every key it holds. */
  private void invalidate(Session s) {
    sessions.remove(s.id);
    for (Iterator<Entry> it = kv.values().iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (s.id.equals(e.session)) {
        if ("delete".equals(s.behavior)) {
          it.remove();
        } else {
          e.session = null;
          e.modifyIndex = ++index;
        }
        if (s.lockDelayMs > 0) {
          lockDelayUntil.put(e.key, now() + s.lockDelayMs);
        }
      }
    }
    index++;
    changed();
  }

  // ---- KV ----

  private void kvGet(RoutingContext ctx) {
    String key = ctx.pathParam("key");
    blocking(
        ctx,
        () -> kv.containsKey(key) ? kv.get(key).modifyIndex : index,
        () -> {
          Entry e = kv.get(key);
          if (e == null) {
            ctx.response()
                .putHeader("X-Consul-Index", Long.toString(index))
                .setStatusCode(404)
                .end();
            return;
          }
          JsonObject o =
              new JsonObject()
                  .put("Key", e.key)
                  .put(
                      "Value", e.value == null ? null : Base64.getEncoder().encodeToString(e.value))
                  .put("Flags", 0)
                  .put("LockIndex", e.lockIndex)
                  .put("CreateIndex", e.createIndex)
                  .put("ModifyIndex", e.modifyIndex);
          if (e.session != null) {
            o.put("Session", e.session);
          }
          json(ctx, new JsonArray().add(o));
        });
  }

  private void kvPut(RoutingContext ctx) {
    String key = ctx.pathParam("key");
    byte[] value =
        ctx.body().buffer() == null || ctx.body().length() == 0
            ? null
            : ctx.body().buffer().getBytes();
    Entry e = kv.get(key);
    String acquire = ctx.request().getParam("acquire");
    String release = ctx.request().getParam("release");
    String cas = ctx.request().getParam("cas");
    boolean ok;
    if (acquire != null) {
      if (!sessions.containsKey(acquire)) {
        ctx.response().setStatusCode(500).end("invalid session \"" + acquire + "\"");
        return;
      }
      Long delay = lockDelayUntil.get(key);
      if (delay != null && delay > now()) {
        ok = false;
      } else if (e != null && e.session != null && !e.session.equals(acquire)) {
        ok = false;
      } else {
        e = upsert(key, e, value);
        if (!acquire.equals(e.session)) {
          e.lockIndex++;
        }
        e.session = acquire;
        ok = true;
      }
    } else if (release != null) {
      if (e != null && release.equals(e.session)) {
        e.session = null;
        upsert(key, e, value);
        ok = true;
      } else {
        ok = false;
      }
    } else if (cas != null) {
      long want = Long.parseLong(cas);
      ok = want == 0 ? e == null : e != null && e.modifyIndex == want;
      if (ok) {
        upsert(key, e, value);
      }
    } else {
      upsert(key, e, value);
      ok = true;
    }
    if (ok) {
      changed();
    }
    ctx.response().putHeader("Content-Type", "application/json").end(Boolean.toString(ok));
  }

  private Entry upsert(String key, Entry e, byte[] value) {
    if (e == null) {
      e = new Entry();
      e.key = key;
      e.createIndex = index + 1;
      kv.put(key, e);
    }
    e.value = value;
    e.modifyIndex = ++index;
    return e;
  }

  private void kvDelete(RoutingContext ctx) {
    String key = ctx.pathParam("key");
    Entry e = kv.get(key);
    String cas = ctx.request().getParam("cas");
    // Consul: a check-and-set delete of a key that does not exist succeeds.
    boolean ok = cas == null || e == null || e.modifyIndex == Long.parseLong(cas);
    if (ok && e != null) {
      kv.remove(key);
      index++;
      changed();
    }
    ctx.response().putHeader("Content-Type", "application/json").end(Boolean.toString(ok));
  }

  // ---- transactions (KV verbs) ----

  /** {@code PUT /v1/txn}: all KV operations apply, or none (409 with Errors). */
  private void txn(RoutingContext ctx) {
    JsonArray ops = ctx.body().asJsonArray();
    Map<String, Entry> before = new LinkedHashMap<>();
    kv.forEach((k, e) -> before.put(k, copy(e)));
    long indexBefore = index;
    JsonArray results = new JsonArray();
    for (int i = 0; i < ops.size(); i++) {
      JsonObject op = ops.getJsonObject(i).getJsonObject("KV");
      String error = apply(op, results);
      if (error != null) {
        kv.clear();
        kv.putAll(before);
        index = indexBefore;
        ctx.response().setStatusCode(409);
        json(
            ctx,
            new JsonObject()
                .putNull("Results")
                .put(
                    "Errors",
                    new JsonArray().add(new JsonObject().put("OpIndex", i).put("What", error))));
        return;
      }
    }
    changed();
    json(ctx, new JsonObject().put("Results", results).putNull("Errors"));
  }

  private static Entry copy(Entry e) {
    Entry c = new Entry();
    c.key = e.key;
    c.value = e.value;
    c.session = e.session;
    c.lockIndex = e.lockIndex;
    c.createIndex = e.createIndex;
    c.modifyIndex = e.modifyIndex;
    return c;
  }

  /** Applies one KV operation; returns Consul's error text, or null when it succeeded. */
  private String apply(JsonObject op, JsonArray results) {
    String verb = op.getString("Verb");
    String key = op.getString("Key");
    Entry e = kv.get(key);
    String b64 = op.getString("Value");
    byte[] value = b64 == null ? null : Base64.getDecoder().decode(b64);
    long idx = op.getLong("Index", 0L);
    String session = op.getString("Session");
    switch (verb) {
      case "check-not-exists" -> {
        return e == null ? null : "key \"" + key + "\" exists";
      }
      case "check-index" -> {
        return e != null && e.modifyIndex == idx
            ? null
            : "current modify index " + (e == null ? 0 : e.modifyIndex) + " != " + idx;
      }
      case "check-session" -> {
        return e != null && session != null && session.equals(e.session)
            ? null
            : "key \"" + key + "\" is not currently locked by session \"" + session + "\"";
      }
      case "set" -> e = upsert(key, e, value);
      case "cas" -> {
        if (idx == 0 ? e != null : e == null || e.modifyIndex != idx) {
          return "failed to set key \"" + key + "\", index is stale";
        }
        e = upsert(key, e, value);
      }
      case "lock" -> {
        if (session == null || !sessions.containsKey(session)) {
          return "invalid session \"" + session + "\"";
        }
        Long delay = lockDelayUntil.get(key);
        if (e != null && e.session != null && !e.session.equals(session)
            || delay != null && delay > now()) {
          return "failed to lock key \"" + key + "\", lock is already held";
        }
        e = upsert(key, e, value);
        if (!session.equals(e.session)) {
          e.lockIndex++;
        }
        e.session = session;
      }
      case "unlock" -> {
        if (e == null || session == null || !session.equals(e.session)) {
          return "failed to unlock key \""
              + key
              + "\", lock isn't held, or is held by another session";
        }
        e.session = null;
        e = upsert(key, e, value);
      }
      case "delete" -> {
        kv.remove(key);
        index++;
        return null;
      }
      case "delete-cas" -> {
        if (e != null && e.modifyIndex != idx) {
          return "failed to delete key \"" + key + "\", index is stale";
        }
        kv.remove(key);
        index++;
        return null;
      }
      default -> {
        return "unknown KV verb \"" + verb + "\"";
      }
    }
    results.add(
        new JsonObject()
            .put(
                "KV",
                new JsonObject()
                    .put("LockIndex", e.lockIndex)
                    .put("Key", e.key)
                    .put("Flags", 0)
                    .putNull("Value")
                    .put("CreateIndex", e.createIndex)
                    .put("ModifyIndex", e.modifyIndex)));
    return null;
  }

  // ---- blocking queries and time ----

  /** Answers now, or parks until the relevant index passes {@code index} or {@code wait} ends. */
  private void blocking(RoutingContext ctx, Supplier<Long> relevant, Runnable answer) {
    String idx = ctx.request().getParam("index");
    long after = idx == null ? 0 : Long.parseLong(idx);
    Runnable reply =
        () -> {
          ctx.response().putHeader("X-Consul-Index", Long.toString(Math.max(1, relevant.get())));
          answer.run();
        };
    if (after == 0 || relevant.get() > after) {
      reply.run();
      return;
    }
    String w = ctx.request().getParam("wait");
    long asked = w == null ? 0 : millis(w);
    long waitMs = Math.min(asked <= 0 ? 300_000 : asked, 600_000); // 0 means Consul's default
    Parked[] self = new Parked[1];
    long timer =
        vertx.setTimer(
            Math.max(1, waitMs),
            t -> {
              if (parked.remove(self[0])) {
                reply.run();
              }
            });
    self[0] = new Parked(ctx, after, relevant, reply, timer);
    parked.add(self[0]);
  }

  private void changed() {
    for (Iterator<Parked> it = parked.iterator(); it.hasNext(); ) {
      Parked p = it.next();
      if (p.index().get() > p.after()) {
        it.remove();
        vertx.cancelTimer(p.timer());
        p.answer().run();
      }
    }
  }

  private void tick() {
    long now = now();
    for (Service s : new ArrayList<>(services.values())) {
      if (s.checkId != null && s.ttlMs > 0 && now > s.deadline && !"critical".equals(s.status)) {
        s.output = "TTL expired";
        setStatus(s, "critical");
      }
      if (s.deregisterAfterMs > 0
          && s.criticalSince > 0
          && now - s.criticalSince > s.deregisterAfterMs) {
        services.remove(s.id);
        index++;
        touch(s.name);
        changed();
      }
    }
    for (Session s : new ArrayList<>(sessions.values())) {
      if (s.ttlMs > 0 && now > s.deadline) {
        invalidate(s);
      }
    }
  }

  /** Test control: shortens what Consul would make a test wait for (e.g. the 1 minute reaper). */
  void setDeregisterAfter(String serviceId, Duration d) {
    vertx.runOnContext(v -> services.get(serviceId).deregisterAfterMs = d.toMillis());
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  static long millis(String d) {
    Matcher m = DURATION.matcher(d.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("bad duration " + d);
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> n;
      case "s" -> n * 1000;
      case "m" -> n * 60_000;
      default -> n * 3_600_000;
    };
  }

  private static void json(RoutingContext ctx, Object body) {
    ctx.response()
        .putHeader("Content-Type", "application/json")
        .end(body instanceof JsonArray a ? a.encode() : ((JsonObject) body).encode());
  }

  @Override
  public void close() {
    vertx.close();
  }
}
