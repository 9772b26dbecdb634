package io.muster.backend.consul;

import io.muster.spi.Formats;
import io.muster.spi.KeyType;
import io.muster.spi.NameTakenException;
import io.muster.spi.NodeName;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Consul service with a TTL check, created passing and passed at once, then every {@code
 * svc_ttl}/2 (the configured TTL, unlike RabbitMQ's heartbeat). When Consul answers 404 or 500 for
 * the check (the service was reaped while the agent was slow or partitioned), the service is
 * registered again, logged.
 *
 * <p>Names are unique (formation.md step 2), as far as Consul lets a client check: before every
 * registration the service's instances are read, and one whose Meta names this node, carries
 * another agent instance's id and has every check passing is never registered over ({@link
 * NameTakenException}). Consul's catalog has no compare-and-set, so two agents registering the same
 * name within the same few milliseconds are not caught here; the formation lock still gives one of
 * them the claim, and the other's marker read names a seed that is not its own lease's.
 */
final class ServiceRegistration {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceRegistration.class);

  /** Meta key RabbitMQ's plugin uses for the node name; peers read it back. */
  static final String NODE_META = "erlang-node-name";

  private final ConsulHttp http;
  private final Vertx vertx;
  private final ConsulSettings s;
  private final NodeName self;
  private final String instanceId;
  private final Runnable trouble;
  private volatile boolean active;
  private volatile boolean repairing;
  private long timer = -1;

  ServiceRegistration(
      ConsulHttp http,
      Vertx vertx,
      ConsulSettings s,
      NodeName self,
      String instanceId,
      Runnable trouble) {
    this.http = http;
    this.vertx = vertx;
    this.s = s;
    this.self = self;
    this.instanceId = instanceId;
    this.trouble = trouble;
  }

  /** Meta key carrying the registration's format version ({@link io.muster.spi.Formats}). */
  static final String FORMAT_META = "muster-format";

  /** Meta key carrying the registering agent's instance id (formation.md step 2). */
  static final String INSTANCE_META = "muster-instance";

  /** Meta key carrying the cluster id of a member (formation.md step 5). */
  static final String CLUSTER_META = "muster-cluster-id";

  /** The cluster the node is a member of (null: none yet); carried in the service's Meta. */
  private volatile String memberOf;

  JsonObject body() {
    JsonObject meta = new JsonObject();
    s.meta().forEach(meta::put);
    meta.put(NODE_META, self.toString());
    meta.put(INSTANCE_META, instanceId);
    meta.put(FORMAT_META, Integer.toString(Formats.CURRENT));
    String member = memberOf;
    if (member != null) {
      meta.put(CLUSTER_META, member);
    }
    JsonObject check =
        new JsonObject()
            .put("CheckID", s.checkId())
            .put("Name", "Muster TTL check for " + self)
            .put("Notes", "passed by the Muster agent every " + s.ttl().toMillis() / 2 + " ms")
            .put("TTL", KeyType.format(s.ttl()))
            .put("Status", "passing");
    s.deregisterAfter()
        .ifPresent(d -> check.put("DeregisterCriticalServiceAfter", KeyType.format(d)));
    JsonObject body =
        new JsonObject()
            .put("ID", s.serviceId())
            .put("Name", s.service())
            .put("Port", s.servicePort())
            .put("Tags", new JsonArray(s.tags()))
            .put("Meta", meta)
            .put("Check", check);
    s.serviceAddress().ifPresent(a -> body.put("Address", a));
    return body;
  }

  /**
   * From now on the service's Meta carries {@code clusterId}: registered again at once when it is
   * registered (Consul replaces a service registered under the same ID), and by every later one.
   */
  void markMember(String clusterId) {
    memberOf = clusterId;
    if (!active) {
      return;
    }
    put()
        .thenCompose(x -> pass())
        .whenComplete(
            (r, t) -> {
              if (!active) {
                // unregistered while this put was in flight: it must not leave the service behind
                deregister();
                return;
              }
              if (t != null) {
                LOG.warn(
                    "Could not mark service {} as a member of cluster {} ({}); its next"
                        + " registration carries it",
                    s.serviceId(),
                    clusterId,
                    t.getMessage());
              }
            });
  }

  /** Registers (again); {@code active} stays as it is for a heartbeat-driven repair. */
  synchronized CompletableFuture<Void> register() {
    active = true;
    if (timer < 0) {
      timer = vertx.setPeriodic(Math.max(250, s.ttl().toMillis() / 2), t -> heartbeat());
    }
    return put()
        .thenCompose(x -> pass())
        .thenAccept(
            r -> {
              if (!r.ok()) {
                throw http.failure("passing check " + s.checkId(), r);
              }
            });
  }

  private CompletableFuture<Void> put() {
    return refuseTakenName().thenCompose(x -> putService());
  }

  /**
   * Fails with {@link NameTakenException} when a live instance of the service (every check passing)
   * names this node and was registered by another agent instance, or by one that gives no instance
   * id (RabbitMQ's own plugin, an older agent).
   */
  private CompletableFuture<Void> refuseTakenName() {
    String path = "/v1/health/service/" + s.service();
    return http.get(path, Map.of())
        .thenAccept(
            r -> {
              if (!r.ok()) {
                throw http.failure("reading " + path, r);
              }
              JsonArray entries = r.array();
              for (int i = 0; i < entries.size(); i++) {
                JsonObject e = entries.getJsonObject(i);
                JsonObject svc = ConsulHttp.object(e, "Service");
                JsonObject meta = ConsulHttp.object(svc, "Meta"); // null from RabbitMQ's plugin
                String other = meta.getString(INSTANCE_META);
                if (!self.toString().equals(meta.getString(NODE_META))
                    || instanceId.equals(other)
                    || !passing(e.getJsonArray("Checks", new JsonArray()))) {
                  continue;
                }
                throw new NameTakenException(
                    "Consul service instance "
                        + svc.getString("ID", "?")
                        + " on Consul node "
                        + ConsulHttp.object(e, "Node").getString("Node", "?")
                        + " names "
                        + self
                        + " and is held by "
                        + (other == null
                            ? "an agent that gives no instance id"
                            : "agent instance " + other)
                        + " (this agent is instance "
                        + instanceId
                        + ")",
                    s.ttl());
              }
            });
  }

  private static boolean passing(JsonArray checks) {
    for (int i = 0; i < checks.size(); i++) {
      if (!"passing".equals(checks.getJsonObject(i).getString("Status"))) {
        return false;
      }
    }
    return true;
  }

  private CompletableFuture<Void> putService() {
    return http.put("/v1/agent/service/register", Map.of(), Buffer.buffer(body().encode()))
        .thenAccept(
            r -> {
              if (!r.ok()) {
                throw http.failure("registering service " + s.serviceId(), r);
              }
            });
  }

  private CompletableFuture<ConsulHttp.Reply> pass() {
    return http.put("/v1/agent/check/pass/" + s.checkId(), Map.of("note", "alive (Muster)"), null);
  }

  private void heartbeat() {
    if (!active) {
      return;
    }
    pass()
        .whenComplete(
            (r, t) -> {
              if (t != null) {
                LOG.debug("consul: passing the check failed: {}", t.getMessage());
                trouble.run();
              } else if ((r.status() == 404 || r.status() == 500) && active && !repairing) {
                repairing = true;
                LOG.warn(
                    "Consul answered {} for check {} ({}): the service was removed; registering"
                        + " it again",
                    r.status(),
                    s.checkId(),
                    r.text());
                register()
                    .whenComplete(
                        (x, e) -> {
                          repairing = false;
                          if (!active) {
                            // Stopped while this was in flight: take it away again.
                            deregister();
                            return;
                          }
                          if (e == null) {
                            LOG.info(
                                "Re-registered service {} with a passing check; next: keep it"
                                    + " passing",
                                s.serviceId());
                          } else {
                            LOG.warn(
                                "Re-registering service {} failed ({}); the next heartbeat retries",
                                s.serviceId(),
                                http.failure("re-registering", e).getMessage());
                          }
                          trouble.run();
                        });
              } else if (!r.ok()) {
                LOG.debug("consul: passing the check: HTTP {}", r.status());
                trouble.run();
              }
            });
  }

  synchronized CompletableFuture<Void> deregister() {
    active = false;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    return http.put("/v1/agent/service/deregister/" + s.serviceId(), Map.of(), null)
        .thenAccept(
            r -> {
              if (!r.ok() && r.status() != 404) {
                throw http.failure("deregistering service " + s.serviceId(), r);
              }
            });
  }

  String describe() {
    return "Consul service "
        + s.serviceId()
        + " ("
        + s.service()
        + ", check "
        + s.checkId()
        + ", ttl "
        + KeyType.format(s.ttl())
        + s.deregisterAfter().map(d -> ", deregister after " + KeyType.format(d)).orElse("")
        + ") at "
        + s.base();
  }
}
