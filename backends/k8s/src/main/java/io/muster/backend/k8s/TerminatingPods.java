package io.muster.backend.k8s;

import io.muster.spi.BackendFailure;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Terminating pods on the v1 Endpoints path, which does not mark them: with {@code
 * publishNotReadyAddresses} the endpoints controller keeps a terminating pod under {@code
 * addresses} until it is gone. Every pod an Endpoints answer names is read ({@code GET pods/NAME},
 * all at once) and is not a peer when it is being deleted ({@code metadata.deletionTimestamp}) or
 * gone (404, or its name is another pod's now). A pod that cannot be read keeps its address: a
 * listed terminating pod is what Endpoints alone give, losing a live peer is worse. A role without
 * {@code get} on pods (403) is said once, and pods are not asked for again for {@link
 * #PODS_RECHECK}.
 */
final class TerminatingPods {

  private static final Logger LOG = LoggerFactory.getLogger(TerminatingPods.class);

  /** How long pods are not asked for after they answered 403 (an RBAC change is seen after it). */
  static final Duration PODS_RECHECK = Duration.ofMinutes(10);

  private final Function<String, CompletableFuture<HttpResponse<Buffer>>> get;
  private volatile boolean refused;
  private volatile long againAt;

  /**
   * @param get one GET of an API path, with the backend's token, TLS and debug line
   */
  TerminatingPods(Function<String, CompletableFuture<HttpResponse<Buffer>>> get) {
    this.get = get;
  }

  /** What one pod's GET says about the address the Endpoints list for it. */
  sealed interface Verdict {
    /** There and not being deleted: a peer. */
    record Live() implements Verdict {}

    /** Not a peer, and why. */
    record NotPeer(String why) implements Verdict {}

    /** RBAC allows no get on pods (403). */
    record Refused() implements Verdict {}

    /** Not known ({@code what} says why): the address is kept. */
    record Unknown(String what) implements Verdict {}
  }

  /** The pod a {@code targetRef} names, or null when it names none. */
  static String podName(JsonObject targetRef) {
    return targetRef != null && "Pod".equals(targetRef.getString("kind"))
        ? targetRef.getString("name")
        : null;
  }

  /**
   * Why pods the Endpoints answer names are not peers ("terminating", "pod gone"), by pod name;
   * none for an answer that is no 200, while pods are refused, or for a pod whose GET has not
   * answered by {@code deadline} ({@link System#nanoTime}).
   */
  CompletableFuture<Map<String, String>> notPeers(
      String ns, HttpResponse<Buffer> endpoints, long deadline) {
    Map<String, String> uids = listed(endpoints);
    if (uids.isEmpty() || (refused && System.nanoTime() - againAt < 0)) {
      return CompletableFuture.completedFuture(Map.of());
    }
    long waitMs = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    Map<String, CompletableFuture<Verdict>> reads = new LinkedHashMap<>();
    uids.forEach(
        (name, uid) ->
            reads.put(
                name,
                get.apply("/api/v1/namespaces/" + ns + "/pods/" + name)
                    .<Verdict>thenApply(r -> verdict(r.statusCode(), r.bodyAsString(), uid))
                    .exceptionally(
                        t -> new Verdict.Unknown(BackendFailure.message(BackendFailure.unwrap(t))))
                    .completeOnTimeout(
                        new Verdict.Unknown("no answer within " + waitMs + " ms"),
                        waitMs,
                        TimeUnit.MILLISECONDS)));
    return CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new))
        .thenApply(v -> outcome(reads));
  }

  /** Each listed pod's name and uid ("" where the Endpoints give none). */
  private static Map<String, String> listed(HttpResponse<Buffer> endpoints) {
    Map<String, String> out = new LinkedHashMap<>();
    if (endpoints.statusCode() != 200) {
      return out;
    }
    try {
      for (Object subset : endpoints.bodyAsJsonObject().getJsonArray("subsets", new JsonArray())) {
        for (String field : List.of("addresses", "notReadyAddresses")) {
          for (Object a : ((JsonObject) subset).getJsonArray(field, new JsonArray())) {
            JsonObject ref = ((JsonObject) a).getJsonObject("targetRef");
            String name = podName(ref);
            if (name != null && name.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
              out.put(name, ref.getString("uid", ""));
            }
          }
        }
      }
    } catch (RuntimeException e) {
      return Map.of(); // unreadable: reported as such by the Endpoints parser
    }
    return out;
  }

  /**
   * A pod GET's answer ({@code status}, {@code body}) for the pod the Endpoints list with {@code
   * uid} ("" when they give none).
   */
  static Verdict verdict(int status, String body, String uid) {
    if (status == 404) {
      return new Verdict.NotPeer("pod gone");
    }
    if (status == 403) {
      return new Verdict.Refused();
    }
    if (status != 200) {
      return new Verdict.Unknown("HTTP " + status);
    }
    JsonObject meta;
    try {
      meta = new JsonObject(body).getJsonObject("metadata", new JsonObject());
    } catch (RuntimeException e) {
      return new Verdict.Unknown("unreadable answer");
    }
    String now = meta.getString("uid", "");
    if (!uid.isEmpty() && !now.isEmpty() && !uid.equals(now)) {
      return new Verdict.NotPeer("pod gone"); // a StatefulSet's new pod of the same name
    }
    return meta.getString("deletionTimestamp") != null
        ? new Verdict.NotPeer("terminating")
        : new Verdict.Live();
  }

  private Map<String, String> outcome(Map<String, CompletableFuture<Verdict>> reads) {
    Map<String, String> out = new LinkedHashMap<>();
    boolean refusedNow = false;
    boolean answered = false;
    for (var e : reads.entrySet()) {
      Verdict v = e.getValue().join();
      if (v instanceof Verdict.NotPeer n) {
        out.put(e.getKey(), n.why());
      } else if (v instanceof Verdict.Refused) {
        refusedNow = true;
      } else if (v instanceof Verdict.Unknown u) {
        LOG.debug("k8s: pod {} not checked ({}); its address is kept", e.getKey(), u.what());
      }
      answered |= v instanceof Verdict.NotPeer || v instanceof Verdict.Live;
    }
    if (refusedNow) {
      refused();
    } else if (answered && refused) {
      refused = false;
      LOG.info("k8s: pods answer again; terminating pods are left out on the Endpoints path too");
    }
    return out;
  }

  private void refused() {
    if (!refused) {
      LOG.warn(
          "k8s: pods answered 403 (the role allows no get on pods), so terminating pods cannot be"
              + " told apart on the Endpoints path: they stay listed as peers until they are gone."
              + " Grant get on pods, or list on endpointslices (as the shipped Role does) so that"
              + " EndpointSlices are read; pods are asked for again in {} min",
          PODS_RECHECK.toMinutes());
    }
    refused = true;
    againAt = System.nanoTime() + PODS_RECHECK.toNanos();
  }
}
