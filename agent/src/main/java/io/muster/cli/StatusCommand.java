package io.muster.cli;

import io.muster.config.CoreSettings;
import io.muster.formation.core.FormationStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code muster status}: asks a running agent and explains its state. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Ask a running agent what it is doing and why; exit 1 when it cannot be reached.")
final class StatusCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Option(
      names = "--api",
      paramLabel = "HOST:PORT",
      description = "The agent's API (default: from --config, else 127.0.0.1:7070).")
  String api;

  @Option(names = "--json", description = "Print the raw JSON of GET /v1/status.")
  boolean json;

  @Option(
      names = "--check",
      description =
          "For scripts and probes: print OK or what is wrong, one line each; exit 0 when the agent"
              + " has a decision it stands by, its peer list is fresh and its retries are not"
              + " exhausted, else 3 (1 when no agent answers).")
  boolean check;

  /** {@code --check}'s exit status when the agent answers but is not where it should be. */
  static final int NOT_READY = 3;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    String target = api;
    if (target == null && config.file == null) {
      target = "127.0.0.1:7070";
    } else if (target == null) {
      CoreSettings core = config.load().core();
      target = core.apiBind() + ":" + core.apiPort();
    }
    PrintWriter out = spec.commandLine().getOut();
    Optional<HttpResponse<String>> answer =
        AgentCall.send(
            spec,
            target,
            HttpRequest.newBuilder(URI.create("http://" + target + "/v1/status"))
                .timeout(Duration.ofSeconds(5))
                .build());
    if (answer.isEmpty()) {
      return 1;
    }
    HttpResponse<String> response = answer.get();
    if (response.statusCode() != 200) {
      spec.commandLine()
          .getErr()
          .println("muster: agent at " + target + " answered HTTP " + response.statusCode());
      return 1;
    }
    JsonObject s = new JsonObject(response.body());
    if (json) {
      out.println(s.encodePrettily());
      return 0;
    }
    if (check) {
      List<String> problems = problems(s);
      if (problems.isEmpty()) {
        JsonObject f = s.getJsonObject("formation");
        out.printf(
            "OK: %s %s, phase %s%n",
            s.getString("node"), f.getString("state"), f.getString("phase"));
        return 0;
      }
      problems.forEach(p -> out.println("NOT READY: " + p));
      return NOT_READY;
    }
    explain(out, s);
    return 0;
  }

  /** What keeps the agent from being where it should be, for {@code --check}. */
  static List<String> problems(JsonObject s) {
    JsonObject f = s.getJsonObject("formation");
    JsonObject d = s.getJsonObject("discovery");
    List<String> problems = new ArrayList<>();
    if (f.getString("failure") != null) {
      problems.add("formation failed: " + f.getString("failure"));
    }
    if (f.getString("withdrawn") != null) {
      problems.add("decision withdrawn: " + f.getString("withdrawn"));
    }
    if (f.getJsonObject("decision") == null) {
      problems.add("no decision yet: " + f.getString("waiting_for"));
    } else if (f.getString("waiting_for") != null && "formed".equals(f.getString("state"))) {
      // declarative mode, gospel reset: a formed node to be reset, by muster exec or an operator
      problems.add("to be reset: waiting for " + f.getString("waiting_for"));
    }
    if (f.getBoolean("retries_exhausted", false)) {
      problems.add("retries exhausted (on_exhausted = " + f.getString("on_exhausted") + ")");
    }
    if (d.getBoolean("stale", false)) {
      problems.add("peer list stale: the last discovery failed: " + d.getString("last_error"));
    }
    JsonObject declarative = s.getJsonObject("declarative");
    if (declarative != null) {
      declarative
          .getJsonObject("conflicts", new JsonObject())
          .forEach(
              e -> problems.add("cluster config conflict: " + e.getKey() + ": " + e.getValue()));
    }
    return problems;
  }

  /** The step that comes next, as the agent's state implies it. */
  static String next(JsonObject s) {
    JsonObject f = s.getJsonObject("formation");
    if (f.getString("failure") != null) {
      return "the agent must be restarted (/health/live fails, so a supervisor does it)";
    }
    if (f.getString("withdrawn") != null) {
      return "the node stops, resets its data and POSTs /v1/formation/abort; then a new decision";
    }
    if ("resetting".equals(f.getString("phase"))) {
      return "muster exec stops the node and resets its data; then a new decision, as a fresh node";
    }
    JsonObject decision = f.getJsonObject("decision");
    if (decision == null) {
      return "keep deciding (" + f.getString("waiting_for") + ")";
    }
    if (f.getString("waiting_for") != null && "formed".equals(f.getString("state"))) {
      return "waiting for " + f.getString("waiting_for");
    }
    if ("formed".equals(f.getString("state")) || "rejoining".equals(f.getString("state"))) {
      return "rejoining".equals(f.getString("state"))
          ? "the node rejoins its last-seen peers, then completes"
          : "keep the peer list fresh; nothing to do";
    }
    return "the node acts on "
        + decision.getString("action")
        + ", then completes (POST /v1/formation/complete, or muster exec's probe)";
  }

  static void explain(PrintWriter out, JsonObject s) {
    JsonObject f = s.getJsonObject("formation");
    JsonObject d = s.getJsonObject("discovery");
    out.printf(
        "node:         %s (backend %s, %s)%n",
        s.getString("node"), s.getString("backend"), f.getString("mode"));
    out.printf("state:        %s, phase %s%n", f.getString("state"), f.getString("phase"));
    JsonObject decision = f.getJsonObject("decision");
    if (decision != null) {
      out.printf(
          "decision:     %s %s%s%n",
          decision.getString("action"),
          decision.getString("seed"),
          decision.getJsonArray("peers").isEmpty()
              ? ""
              : " (try " + join(decision.getJsonArray("peers")) + ")");
    } else {
      out.printf(
          "decision:     none yet: %s%s%s%n",
          f.getString("waiting_for"),
          s.containsKey("declarative")
              ? " (declarative: no retry limit)"
              : "; " + FormationStatus.attemptsLeft(f.getInteger("attempts_left")),
          f.getBoolean("retries_exhausted")
              ? " (retries exhausted; on_exhausted=" + f.getString("on_exhausted") + ")"
              : "");
    }
    if (f.getString("cluster_id") != null) {
      out.printf(
          "cluster:      %s, members %s%n",
          f.getString("cluster_id"), join(f.getJsonArray("members")));
    }
    declarative(out, s.getJsonObject("declarative"));
    out.printf(
        "peers:        %s%s (index %d)%n",
        join(d.getJsonArray("peers")),
        d.getBoolean("stale") ? " STALE: last discovery failed: " + d.getString("last_error") : "",
        d.getLong("index"));
    out.printf("registration: %s%n", s.getString("registration"));
    if (f.getString("lock") != null) {
      out.printf("lock:         %s%n", f.getString("lock"));
    }
    JsonObject cp = s.getJsonObject("contact_points");
    if (cp != null) {
      Long age = cp.getLong("last_probe_age_ms");
      out.printf(
          "peer port:    %s, probed by %s; last probe round %s%n",
          cp.getString("peer_port"),
          join(cp.getJsonArray("probed_by")),
          age == null ? "none yet" : String.format("%.1f s ago", age / 1000.0));
      cp.getJsonObject("last_probe")
          .forEach(e -> out.printf("  %-40s %s%n", e.getKey(), e.getValue()));
    }
    if (f.getString("marker") != null) {
      out.printf("marker:       %s%n", f.getString("marker"));
    }
    if (f.getString("withdrawn") != null) {
      out.printf(
          "WITHDRAWN:    %s%n              the node must stop, reset its data and POST"
              + " /v1/formation/abort (muster exec does this itself)%n",
          f.getString("withdrawn"));
    }
    if (f.getString("failure") != null) {
      out.printf("FAILED:       %s%n", f.getString("failure"));
    }
    out.printf("next:         %s%n", next(s));
  }

  /**
   * Declarative mode, as the Clusterer's {@code rabbit_clusterer:status()} showed it: the config in
   * force, what each listed node runs, what the agent waits for, conflicts and size advice.
   */
  static void declarative(PrintWriter out, JsonObject c) {
    if (c == null) {
      return;
    }
    Object gospel = c.getJsonObject("config").getValue("gospel");
    out.printf(
        "config:       version %d, %d nodes, gospel %s%n",
        c.getLong("version"),
        c.getJsonObject("nodes").size(),
        gospel instanceof JsonObject g ? g.getString("node") : gospel);
    c.getJsonObject("nodes")
        .forEach(
            e -> {
              JsonObject n = (JsonObject) e.getValue();
              out.printf("  %-40s %-5s %s%n", e.getKey(), n.getString("type"), n.getString("runs"));
            });
    if (c.getString("waiting_for") != null) {
      out.printf("waiting for:  %s%n", c.getString("waiting_for"));
    }
    c.getJsonObject("conflicts", new JsonObject())
        .forEach(e -> out.printf("CONFLICT:     %s: %s%n", e.getKey(), e.getValue()));
    if (c.getString("advice") != null) {
      out.printf("advice:       %s%n", c.getString("advice"));
    }
  }

  private static String join(JsonArray a) {
    if (a == null || a.isEmpty()) {
      return "(none)";
    }
    StringBuilder b = new StringBuilder();
    a.forEach(x -> b.append(b.length() == 0 ? "" : ", ").append(x));
    return b.toString();
  }
}
