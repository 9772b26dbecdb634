package io.muster.backend.k8s;

import io.muster.spi.NodeName;
import io.muster.spi.support.PeerList;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node names from the API's answers: EndpointSlices or v1 Endpoints to peers, each endpoint named
 * after its IP or its hostname plus the suffix, or dropped saying why (no hostname, no address,
 * terminating, pod gone).
 */
final class EndpointNames {

  private static final Logger LOG = LoggerFactory.getLogger(EndpointNames.class);

  private final NodeName self;
  private final String service;
  private final boolean useHostname;
  private final String suffix;

  EndpointNames(NodeName self, String service, boolean useHostname, String suffix) {
    this.self = self;
    this.service = service;
    this.useHostname = useHostname;
    this.suffix = suffix;
  }

  /**
   * A node named after an endpoint's host (its IP, or its hostname plus the suffix); an endpoint
   * without one ({@code what} describes it) is dropped, saying which was missing.
   */
  private void add(PeerList peers, String host, String what) {
    if (host == null || host.isEmpty()) {
      peers.drop(what + (useHostname ? NO_HOSTNAME : ": no address"));
    } else {
      peers.host(host + (useHostname ? suffix : ""));
    }
  }

  /**
   * EndpointSlices: one slice per address family (IPv4, IPv6, FQDN). With {@code address_type =
   * ip}, IPv6 addresses are named in brackets ({@code rabbit@[fd00::1]}); a dual-stack Service has
   * a slice of each family for the same pods, so only the family of this node's own name is taken
   * (IPv4 when this node's name is not an address). Terminating endpoints are left out: they would
   * never answer a contact-point probe.
   */
  void fromSlices(JsonObject body, PeerList peers) {
    String family = useHostname ? null : preferredFamily(body);
    for (Object item : body.getJsonArray("items", new JsonArray())) {
      JsonObject slice = (JsonObject) item;
      String type = slice.getString("addressType", "IPv4");
      if (family != null && !family.equals(type)) {
        continue; // the same pods in another address family
      }
      for (Object ep : slice.getJsonArray("endpoints", new JsonArray())) {
        JsonObject e = (JsonObject) ep;
        JsonArray addresses = e.getJsonArray("addresses", new JsonArray());
        String address = addresses.isEmpty() ? null : addresses.getString(0);
        String what = describe(address, e.getJsonObject("targetRef"));
        JsonObject conditions = e.getJsonObject("conditions", new JsonObject());
        if (Boolean.TRUE.equals(conditions.getBoolean("terminating"))) {
          peers.drop(what + ": terminating");
          continue;
        }
        add(peers, useHostname ? e.getString("hostname") : hostOf(address, type), what);
      }
    }
  }

  private static final String NO_HOSTNAME =
      ": no hostname (address_type = hostname needs pods whose spec.subdomain, or StatefulSet"
          + " serviceName, is this Service)";

  /**
   * The address family to take from slices: this node's own (an IPv4 or bracketed IPv6 name), else
   * IPv4 when the Service has IPv4 slices, else whatever it has.
   */
  private String preferredFamily(JsonObject body) {
    if (self.host().startsWith("[")) {
      return "IPv6";
    }
    boolean v4 = false;
    boolean v6 = false;
    for (Object item : body.getJsonArray("items", new JsonArray())) {
      String type = ((JsonObject) item).getString("addressType", "IPv4");
      v4 |= "IPv4".equals(type);
      v6 |= "IPv6".equals(type);
    }
    if (v4 && v6 && !loggedFamily) {
      loggedFamily = true;
      LOG.info(
          "k8s: service {} is dual-stack; node names from its IPv4 slices (this node's own name,"
              + " {}, is not an IPv6 address)",
          service,
          self);
    }
    return v4 ? "IPv4" : null;
  }

  private volatile boolean loggedFamily;

  /** An address as a node name's host: IPv6 in brackets. */
  private static String hostOf(String address, String type) {
    if (address == null || address.isEmpty()) {
      return null;
    }
    return "IPv6".equals(type) || address.contains(":") ? "[" + address + "]" : address;
  }

  /** {@code 10.0.0.5 (pod rabbitmq-2)}, for the log. */
  private static String describe(String address, JsonObject targetRef) {
    String pod = targetRef == null ? null : targetRef.getString("name");
    return (address == null ? "an endpoint without address" : address)
        + (pod == null ? "" : " (pod " + pod + ")");
  }

  /**
   * v1 Endpoints: ready and not-ready addresses. They do not mark terminating pods (with {@code
   * publishNotReadyAddresses} the API keeps them listed until they are gone), so {@code notPeers}
   * says, by pod name, which listed pods were found terminating or gone ({@link TerminatingPods}).
   */
  void fromEndpoints(JsonObject body, PeerList peers, Map<String, String> notPeers) {
    for (Object subset : body.getJsonArray("subsets", new JsonArray())) {
      JsonObject sub = (JsonObject) subset;
      for (String field : List.of("addresses", "notReadyAddresses")) {
        for (Object a : sub.getJsonArray(field, new JsonArray())) {
          JsonObject addr = (JsonObject) a;
          String ip = addr.getString("ip");
          JsonObject ref = addr.getJsonObject("targetRef");
          String pod = TerminatingPods.podName(ref);
          String why = pod == null ? null : notPeers.get(pod);
          if (why != null) {
            peers.drop(describe(ip, ref) + ": " + why);
            continue;
          }
          add(
              peers,
              useHostname ? addr.getString("hostname") : hostOf(ip, null),
              describe(ip, ref));
        }
      }
    }
  }
}
