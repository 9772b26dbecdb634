package io.muster.api;

import io.muster.cleanup.NodeCleanup;
import io.muster.config.Config;
import io.muster.config.CoreSettings;
import io.muster.declarative.ClusterSpec;
import io.muster.declarative.ClustererBackend;
import io.muster.declarative.ConfigSpreading;
import io.muster.declarative.Quorum;
import io.muster.formation.Decision;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.PeerProber;
import io.muster.formation.PeerView;
import io.muster.formation.core.FormationStatus;
import io.muster.formation.engine.FormationEngine;
import io.muster.formation.engine.LocalNode;
import io.muster.spi.NodeName;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * {@code GET /v1/status} (and {@code muster status}, which reads it): what the agent is doing and
 * why, built from the agent's parts at the moment it is asked. Also the JSON shapes the API's other
 * answers share with it (peers, decision, abort). Never a secret: settings come redacted.
 */
public final class StatusView {

  private final CoreSettings settings;
  private final Config config;
  private final FormationEngine engine;
  private final LocalNode local;
  private final PeerView view;
  private final NodeCleanup cleanup;
  private final PeerProber prober;
  private final Supplier<String> registration;
  private final Supplier<JsonArray> rendered;
  private ClustererBackend declarative;
  private ConfigSpreading spreading;

  /**
   * @param prober the contact-point prober, or null on lock backends
   * @param registration the backend's registration state, in words
   * @param rendered each rendered file's last result
   */
  public StatusView(
      CoreSettings settings,
      Config config,
      ApiServer.Sources sources,
      PeerProber prober,
      Supplier<String> registration,
      Supplier<JsonArray> rendered) {
    this.settings = settings;
    this.config = config;
    this.engine = sources.engine();
    this.local = sources.local();
    this.view = sources.view();
    this.cleanup = sources.cleanup();
    this.prober = prober;
    this.registration = registration;
    this.rendered = rendered;
  }

  /** Declarative mode: status shows the config in force and what each listed node runs. */
  public void declarative(ClustererBackend backend, ConfigSpreading spreading) {
    this.declarative = backend;
    this.spreading = spreading;
  }

  /**
   * The Clusterer's {@code rabbit_clusterer:status()}: the config in force (version, target shape,
   * gospel), what each listed node runs as its agent last answered, and the size advice.
   */
  private JsonObject declarativeJson(FormationStatus f) {
    ClusterSpec spec = declarative.inForce();
    JsonObject nodes = new JsonObject();
    spec.nodes()
        .forEach(
            (n, type) -> {
              NodeInfo i = f.lastAnswers().get(n);
              String runs;
              if (n.equals(local.self())) {
                runs = "this node: " + local.info().state().wire();
              } else if (i == null) {
                String problem = prober == null ? null : prober.problems().get(n);
                runs = "no answer" + (problem == null ? "" : ": " + problem);
              } else {
                runs =
                    i.state() == NodeState.BOOTING
                        ? "fresh"
                        : i.state().wire() + " in cluster " + i.clusterId();
                if (i.specVersion() != spec.version()) {
                  runs += " (its config: version " + i.specVersion() + ")";
                }
              }
              nodes.put(
                  n.toString(),
                  new JsonObject()
                      .put("type", type.name().toLowerCase(Locale.ROOT))
                      .put("runs", runs));
            });
    return new JsonObject()
        .put("version", spec.version())
        .put("config", spec.toJson())
        .put("nodes", nodes)
        .put("waiting_for", local.decision() == null ? f.waitingFor() : null)
        .put("advice", Quorum.advice(spec.nodes().size(), "the config").orElse(null))
        .put("conflicts", conflicts());
  }

  /** Agents whose config of this version differs, with why: refused, nothing changed. */
  private JsonObject conflicts() {
    JsonObject out = new JsonObject();
    spreading.conflicts().forEach((n, why) -> out.put(n.toString(), why));
    return out;
  }

  /** Everything an operator needs to see what the agent is doing and why. No secrets. */
  public JsonObject json() {
    PeerView.Snapshot s = view.snapshot();
    NodeInfo info = local.info();
    Decision d = local.decision();
    FormationStatus f = engine.status();
    JsonObject formation =
        new JsonObject()
            .put("phase", f.phase().name().toLowerCase(Locale.ROOT))
            .put("state", info.state().wire())
            .put("cluster_id", info.clusterId())
            .put("members", names(info.members().stream().sorted().toList()))
            .put("decision", d == null ? null : decisionJson(d))
            .put("waiting_for", f.waitingFor())
            .put("attempts_left", f.attemptsLeft())
            .put("retries_exhausted", f.exhausted())
            .put("on_exhausted", settings.onExhausted().name().toLowerCase(Locale.ROOT))
            .put("failure", f.failure())
            .put("lock", f.lockState())
            .put("marker", f.markerState())
            .put("withdrawn", engine.withdrawn())
            .put("mode", f.mode());
    JsonObject out =
        new JsonObject()
            .put("node", local.self().toString())
            .put("started_at", local.startedAt().toString())
            .put("backend", settings.backend())
            .put("config", config.source())
            .put("discovery", peersJson(settings.backend(), s))
            .put("registration", registration.get())
            .put("formation", formation)
            .put("cleanup", cleanup.status())
            .put("rendered_files", rendered.get())
            .put("settings", new JsonObject(config.redacted()));
    if (declarative != null) {
      out.put("declarative", declarativeJson(f));
    }
    if (prober != null) {
      JsonObject peers = new JsonObject();
      f.lastAnswers()
          .forEach(
              (n, i) ->
                  peers.put(
                      n.toString(),
                      i.state().wire() + (i.clusterId() == null ? "" : " " + i.clusterId())));
      prober.problems().forEach((n, p) -> peers.put(n.toString(), "no answer: " + p));
      Instant at = f.answersAt();
      out.put(
          "contact_points",
          new JsonObject()
              .put("peer_port", settings.peerBind() + ":" + settings.peerPort())
              .put("probed_by", names(local.probedByView().stream().sorted().toList()))
              .put("last_probe", peers)
              .put("last_probe_at", at == null ? null : at.toString())
              .put(
                  "last_probe_age_ms",
                  at == null ? null : Duration.between(at, Instant.now()).toMillis()));
    }
    return out;
  }

  /** {@code GET /v1/peers}, and the status's {@code discovery}. */
  static JsonObject peersJson(String backend, PeerView.Snapshot s) {
    return new JsonObject()
        .put("backend", backend)
        .put("peers", names(s.peers()))
        .put("stale", s.stale())
        .put("index", s.index())
        .put("discovered", s.everSucceeded())
        .put("last_success_at", s.lastSuccessAt() == null ? null : s.lastSuccessAt().toString())
        .put("last_error", s.lastError());
  }

  /** {@code POST /v1/formation}'s decision. */
  static JsonObject decisionJson(Decision d) {
    return new JsonObject()
        .put("action", d.action())
        .put("seed", d.seed().toString())
        .put("peers", names(d.peers()))
        .put("cluster_id", d.clusterId());
  }

  /** {@code POST /v1/formation} after a withdrawal. */
  static JsonObject abortJson(String reason) {
    return new JsonObject()
        .put("action", "abort")
        .put("reason", reason)
        .put(
            "next",
            "stop the node, reset its data (it never completed), then POST /v1/formation/abort;"
                + " the agent then decides again");
  }

  static JsonArray names(List<NodeName> nodes) {
    JsonArray a = new JsonArray();
    nodes.forEach(n -> a.add(n.toString()));
    return a;
  }
}
