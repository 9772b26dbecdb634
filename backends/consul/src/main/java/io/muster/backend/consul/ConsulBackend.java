package io.muster.backend.consul;

import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.muster.spi.PeerWatch;
import io.muster.spi.Registration;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Consul backend: a service with a TTL check ({@link ServiceRegistration}), an agent session
 * that holds the forming marker ({@link ConsulMarkers}), the formation lock ({@link ConsulLock})
 * and health blocking queries ({@link HealthWatch}), over the agent's Vert.x WebClient.
 */
final class ConsulBackend implements Backend, Registration, FormationLock, PeerWatch {

  private static final Logger LOG = LoggerFactory.getLogger(ConsulBackend.class);

  private final ConsulSettings s;
  private final NodeName self;
  private final Vertx vertx;
  private final ConsulHttp http;
  private final ServiceRegistration service;
  private final ConsulLock lock;
  private final ConsulMarkers markers;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile ConsulSession agentSession;
  private volatile boolean registered;

  ConsulBackend(ConsulSettings s, NodeName self, Vertx vertx) {
    this.s = s;
    this.self = self;
    this.vertx = vertx;
    this.http = new ConsulHttp(s, vertx);
    this.service = new ServiceRegistration(http, vertx, s, self, this::notifyListeners);
    this.lock = new ConsulLock(http, vertx, s, self);
    this.markers = new ConsulMarkers(http, s);
    LOG.info(
        "consul backend: {} (acl token {}), service {} as {}, check ttl {}, {} instances, lock {},"
            + " lock_timeout {} s",
        s.base(),
        s.aclToken().isPresent() ? "set" : "not set",
        s.service(),
        s.serviceId(),
        s.ttl(),
        s.includeWarnings() ? "passing and warning" : "passing",
        s.lockKey(),
        s.lockTimeout().toSeconds());
  }

  private Map<String, String> healthFilter() {
    return s.includeWarnings() ? Map.of() : Map.of("passing", "true");
  }

  private String healthPath() {
    return "/v1/health/service/" + s.service();
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    return http.get(healthPath(), healthFilter())
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (r, t) -> {
              if (t != null) {
                var f = http.failure("reading " + healthPath(), t);
                return new DiscoveryResult.Failure(f.kind(), f.getMessage());
              }
              if (!r.ok()) {
                var f = http.failure("reading " + healthPath(), r);
                return new DiscoveryResult.Failure(f.kind(), f.getMessage());
              }
              try {
                return peers(r.array());
              } catch (RuntimeException e) {
                return new DiscoveryResult.Failure(
                    DiscoveryResult.Kind.BAD_RESPONSE,
                    "consul " + s.base() + ": unusable health answer: " + e.getMessage());
              }
            });
  }

  /** Instances whose checks are all passing (or warning, when included), oldest first. */
  DiscoveryResult.Peers peers(JsonArray entries) {
    List<JsonObject> kept = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      JsonObject e = entries.getJsonObject(i);
      if (healthy(e.getJsonArray("Checks", new JsonArray()))) {
        kept.add(e);
      }
    }
    kept.sort(Comparator.comparingLong(e -> e.getJsonObject("Service").getLong("CreateIndex", 0L)));
    List<NodeName> nodes = new ArrayList<>();
    List<String> rejected = new ArrayList<>();
    for (JsonObject e : kept) {
      String name = nodeName(e);
      if (NodeName.isValid(name)) {
        NodeName n = NodeName.parse(name);
        if (!nodes.contains(n)) {
          nodes.add(n);
        }
      } else {
        rejected.add(name);
      }
    }
    return new DiscoveryResult.Peers(nodes, rejected);
  }

  private boolean healthy(JsonArray checks) {
    for (int i = 0; i < checks.size(); i++) {
      String status = checks.getJsonObject(i).getString("Status", "critical");
      boolean ok = "passing".equals(status) || (s.includeWarnings() && "warning".equals(status));
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** The node name the instance registered in its meta, else built from its address. */
  private String nodeName(JsonObject entry) {
    JsonObject svc = entry.getJsonObject("Service");
    JsonObject meta = svc.getJsonObject("Meta");
    if (meta != null && meta.getString(ServiceRegistration.NODE_META) != null) {
      return meta.getString(ServiceRegistration.NODE_META);
    }
    String host = svc.getString("Address", "");
    if (host.isEmpty()) {
      host = entry.getJsonObject("Node", new JsonObject()).getString("Node", "");
    }
    if (s.domainSuffix().isPresent() && !host.endsWith("." + s.domainSuffix().get())) {
      host = host + "." + s.domainSuffix().get();
    }
    return self.prefix() + "@" + host;
  }

  @Override
  public CompletionStage<Void> register() {
    registered = true;
    return service
        .register()
        .thenCompose(x -> agentSession())
        .thenApply(x -> (Void) null)
        .exceptionally(
            t -> {
              throw http.failure("registering", t);
            });
  }

  /** The session that holds this agent's forming marker (behavior delete). */
  private synchronized CompletableFuture<String> agentSession() {
    ConsulSession current = agentSession;
    if (current != null) {
      return CompletableFuture.completedFuture(current.id());
    }
    return ConsulSession.create(
            http, vertx, "muster " + self, s.sessionTtl(), "delete", this::sessionLost)
        .thenApply(
            created -> {
              agentSession = created;
              return created.id();
            });
  }

  private void sessionLost(String why) {
    LOG.warn("Agent session lost ({}); creating a new one", why);
    agentSession = null;
    if (!registered) {
      return;
    }
    agentSession()
        .thenCompose(markers::reattach)
        .whenComplete(
            (x, t) -> {
              if (t != null) {
                LOG.warn(
                    "Could not restore the agent session ({}); retrying at the next lock attempt",
                    http.failure("restoring the session", t).getMessage());
              }
              notifyListeners();
            });
  }

  @Override
  public CompletionStage<Void> unregister() {
    registered = false;
    ConsulSession session = agentSession;
    agentSession = null;
    CompletableFuture<Void> sessionGone =
        session == null ? CompletableFuture.completedFuture(null) : session.destroy();
    return lock.destroy()
        .exceptionally(t -> null)
        .thenCompose(x -> sessionGone.exceptionally(t -> null))
        .thenCompose(x -> service.deregister())
        .exceptionally(
            t -> {
              throw http.failure("unregistering", t);
            });
  }

  @Override
  public String describeRegistration() {
    return service.describe();
  }

  @Override
  public CompletionStage<LockOutcome> acquire() {
    return lock.acquire()
        .exceptionally(
            t -> {
              throw http.failure("acquiring the formation lock", t);
            });
  }

  @Override
  public CompletionStage<Marker> readMarker() {
    return markers.read();
  }

  @Override
  public CompletionStage<Void> markForming(Marker.Forming marker) {
    return agentSession().thenCompose(sid -> markers.markForming(marker, sid));
  }

  @Override
  public CompletionStage<Void> markFormed(Marker.Formed marker) {
    ConsulSession session = agentSession;
    return markers.markFormed(marker, session == null ? null : session.id());
  }

  @Override
  public CompletionStage<Void> clearForming() {
    return markers.clearForming();
  }

  @Override
  public Subscription watchPeers(Runnable changed) {
    listeners.add(changed);
    HealthWatch w =
        new HealthWatch(http, vertx, healthPath(), healthFilter(), this::notifyListeners).start();
    return () -> {
      listeners.remove(changed);
      w.close();
    };
  }

  private void notifyListeners() {
    listeners.forEach(Runnable::run);
  }

  @Override
  public void close() {
    http.close();
  }
}
