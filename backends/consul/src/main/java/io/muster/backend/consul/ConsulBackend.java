package io.muster.backend.consul;

import static io.muster.backend.consul.ConsulHttp.object;
import static io.muster.backend.consul.ServiceRegistration.CLUSTER_META;
import static io.muster.backend.consul.ServiceRegistration.NODE_META;

import io.muster.spi.Backend;
import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NameTakenException;
import io.muster.spi.NodeName;
import io.muster.spi.PeerWatch;
import io.muster.spi.Registration;
import io.muster.spi.support.PeerList;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Consul backend: a service with a TTL check ({@link ServiceRegistration}), an agent session
 * that holds a seed's forming marker while it stands ({@link ConsulMarkers}), the formation lock
 * ({@link ConsulLock}) and health blocking queries ({@link HealthWatch}), over the agent's Vert.x
 * WebClient.
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
  private final SessionHolder agentSession;
  private volatile boolean registered;

  /** For tests that never register: an instance id of its own. */
  ConsulBackend(ConsulSettings s, NodeName self, Vertx vertx) {
    this(s, self, UUID.randomUUID().toString(), vertx);
  }

  ConsulBackend(ConsulSettings s, NodeName self, String instanceId, Vertx vertx) {
    this.s = s;
    this.self = self;
    this.vertx = vertx;
    this.http = new ConsulHttp(s, vertx);
    this.service = new ServiceRegistration(http, vertx, s, self, instanceId, this::notifyListeners);
    this.lock = new ConsulLock(http, vertx, s, self);
    this.markers = new ConsulMarkers(http, s);
    this.agentSession =
        new SessionHolder(
            http, vertx, "muster " + self, s.sessionTtl(), "delete", this::sessionLost);
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

  /**
   * What a blocking query asks: this cluster's instances, passing only unless warnings count. A
   * discovery asks for every instance of the cluster and filters here, so that it can say what it
   * dropped and why.
   */
  private Map<String, String> healthFilter() {
    Map<String, String> q = new HashMap<>(s.clusterQuery());
    if (!s.includeWarnings()) {
      q.put("passing", "true");
    }
    return Map.copyOf(q);
  }

  private String healthPath() {
    return "/v1/health/service/" + s.service();
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    return http.get(healthPath(), s.clusterQuery())
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (r, t) -> {
              if (t != null) {
                return http.failure("reading " + healthPath(), t).asResult();
              }
              if (!r.ok()) {
                return http.failure("reading " + healthPath(), r).asResult();
              }
              if (r.filtered()) {
                // An ACL-filtered answer is not "no peers": never publish it as a good list.
                return new DiscoveryResult.Failure(
                    DiscoveryResult.Kind.AUTH,
                    "consul "
                        + s.base()
                        + ": reading "
                        + healthPath()
                        + " failed: results filtered by ACLs (the token needs service:read and"
                        + " node:read)");
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

  /**
   * Instances whose checks are all passing (or warning, when included), oldest first; the others
   * are dropped, each with the check that failed. Every check counts, the node's own (serfHealth)
   * as the service's, as Consul's {@code ?passing} does.
   */
  DiscoveryResult.Peers peers(JsonArray entries) {
    List<JsonObject> kept = new ArrayList<>();
    PeerList peers = new PeerList(self.prefix());
    for (int i = 0; i < entries.size(); i++) {
      JsonObject e = entries.getJsonObject(i);
      String failing = failing(e.getValue("Checks") instanceof JsonArray a ? a : new JsonArray());
      if (failing == null) {
        kept.add(e);
      } else {
        peers.drop(nodeName(e) + ": " + failing);
      }
    }
    kept.sort(
        Comparator.comparingLong(
            e ->
                object(e, "Service").getValue("CreateIndex") instanceof Number n
                    ? n.longValue()
                    : 0));
    for (JsonObject e : kept) {
      String member = object(object(e, "Service"), "Meta").getString(CLUSTER_META);
      peers
          .name(nodeName(e))
          .filter(n -> member != null && !member.isBlank())
          .ifPresent(n -> peers.claim(n, member));
    }
    return peers.peers();
  }

  /**
   * The first check that keeps an instance out ({@code check 'serfHealth' is critical}), or null.
   */
  private String failing(JsonArray checks) {
    for (int i = 0; i < checks.size(); i++) {
      JsonObject c = checks.getJsonObject(i);
      String status = c.getString("Status", "critical");
      boolean ok = "passing".equals(status) || (s.includeWarnings() && "warning".equals(status));
      if (!ok) {
        return "check '" + c.getString("CheckID", c.getString("Name", "?")) + "' is " + status;
      }
    }
    return null;
  }

  /**
   * The node name the instance registered in its meta (Muster's agents and RabbitMQ's plugin with
   * svc_meta), else RabbitMQ's rule: the service address, else the Consul node's name, as {@code
   * <node>.node.<domain_suffix>} with use_longname.
   */
  private String nodeName(JsonObject entry) {
    JsonObject svc = object(entry, "Service");
    String named = object(svc, "Meta").getValue(NODE_META) instanceof String n ? n : null;
    if (named != null) {
      return named;
    }
    String host = svc.getValue("Address") instanceof String a ? a : "";
    if (host.isEmpty()) {
      host = object(entry, "Node").getValue("Node") instanceof String n ? n : "";
      if (s.useLongname()) {
        host = host + ".node." + s.domain();
      }
    }
    return self.prefix() + "@" + host;
  }

  @Override
  public CompletionStage<Void> register() {
    registered = true;
    // The agent session holds only a seed's forming marker: it is made when one is written (under
    // the lock) and destroyed once the marker is formed, so an agent at rest renews no session.
    return service
        .register()
        .exceptionally(
            t -> {
              if (BackendFailure.unwrap(t) instanceof NameTakenException taken) {
                throw taken;
              }
              throw http.failure("registering", t);
            });
  }

  /**
   * The agent session expired. A seed's forming marker went with it (behavior delete) and is not
   * put back: the seed's agent hears at once (a wake-up), cannot confirm its claim, and withdraws.
   */
  private void sessionLost(String why) {
    if (!markers.holdsForming()) {
      LOG.info("Agent session ended ({}); it held no forming marker", why);
      return;
    }
    LOG.warn("Agent session lost ({}); this seed's forming claim ended with it", why);
    markers.claimLost();
    notifyListeners();
  }

  @Override
  public void markMember(String clusterId) {
    service.markMember(clusterId);
  }

  @Override
  public CompletionStage<Void> unregister() {
    registered = false;
    return lock.destroy()
        .exceptionally(t -> null)
        .thenCompose(x -> agentSession.destroy())
        .thenCompose(x -> service.deregister())
        .exceptionally(
            t -> {
              throw http.failure("unregistering", t);
            });
  }

  @Override
  public Optional<Duration> registrationTtl() {
    return Optional.of(s.ttl());
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
  public CompletionStage<Marker> retire(String clusterId, String audit) {
    return markers.retire(clusterId, audit);
  }

  @Override
  public CompletionStage<Marker> readMarker() {
    return markers.read();
  }

  @Override
  public CompletionStage<Void> markForming(Marker.Forming marker) {
    return agentSession.id().thenCompose(sid -> markers.markForming(marker, sid));
  }

  @Override
  public CompletionStage<ClaimState> confirmClaim(Marker.Forming claim) {
    return markers
        .confirm(agentSession::renewOnce, agentSession.currentId(), claim)
        .exceptionally(
            t -> {
              throw http.failure("confirming the forming claim", t);
            });
  }

  @Override
  public CompletionStage<Void> markFormed(Marker.Formed marker) {
    return markers
        .markFormed(marker, agentSession.currentId())
        .thenCompose(x -> agentSession.retire());
  }

  @Override
  public CompletionStage<Marker> reassertFormed(Marker.Formed marker) {
    return markers.reassertFormed(marker);
  }

  @Override
  public CompletionStage<Void> clearForming() {
    return markers.clearForming().thenCompose(x -> agentSession.retire());
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
