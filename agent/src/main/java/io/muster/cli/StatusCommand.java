package io.muster.cli;

import io.muster.config.CoreSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
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

  @Spec picocli.CommandLine.Model.CommandSpec spec;

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
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    HttpResponse<String> response;
    try {
      response =
          client.send(
              HttpRequest.newBuilder(URI.create("http://" + target + "/v1/status"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      spec.commandLine()
          .getErr()
          .println(
              "muster: no agent answers at " + target + " (" + e.getClass().getSimpleName() + ")");
      return 1;
    }
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
    explain(out, s);
    return 0;
  }

  static void explain(PrintWriter out, JsonObject s) {
    JsonObject f = s.getJsonObject("formation");
    JsonObject d = s.getJsonObject("discovery");
    out.printf(
        "node:        %s (backend %s, %s)%n",
        s.getString("node"), s.getString("backend"), f.getString("mode"));
    out.printf("state:       %s, phase %s%n", f.getString("state"), f.getString("phase"));
    JsonObject decision = f.getJsonObject("decision");
    if (decision != null) {
      out.printf(
          "decision:    %s %s%s%n",
          decision.getString("action"),
          decision.getString("seed"),
          decision.getJsonArray("peers").isEmpty()
              ? ""
              : " (try " + join(decision.getJsonArray("peers")) + ")");
    } else {
      out.printf(
          "decision:    none yet: %s; %d attempts left%s%n",
          f.getString("waiting_for"),
          f.getInteger("attempts_left"),
          f.getBoolean("retries_exhausted")
              ? " (retries exhausted; on_exhausted=" + f.getString("on_exhausted") + ")"
              : "");
    }
    if (f.getString("cluster_id") != null) {
      out.printf(
          "cluster:     %s, members %s%n",
          f.getString("cluster_id"), join(f.getJsonArray("members")));
    }
    out.printf(
        "peers:       %s%s (index %d)%n",
        join(d.getJsonArray("peers")),
        d.getBoolean("stale") ? " STALE: last discovery failed: " + d.getString("last_error") : "",
        d.getLong("index"));
    out.printf("registration: %s%n", s.getString("registration"));
    if (f.getString("lock") != null) {
      out.printf("lock:        %s%n", f.getString("lock"));
    }
    JsonObject cp = s.getJsonObject("contact_points");
    if (cp != null) {
      out.printf(
          "peer port:   %s, probed by %s%n",
          cp.getString("peer_port"), join(cp.getJsonArray("probed_by")));
      cp.getJsonObject("last_probe")
          .forEach(e -> out.printf("  %-40s %s%n", e.getKey(), e.getValue()));
    }
    if (f.getString("marker") != null) {
      out.printf("marker:      %s%n", f.getString("marker"));
    }
    if (f.getString("withdrawn") != null) {
      out.printf(
          "WITHDRAWN:   %s%n             the node must stop, reset its data and POST"
              + " /v1/formation/abort (muster exec does this itself)%n",
          f.getString("withdrawn"));
    }
    if (f.getString("failure") != null) {
      out.printf("FAILED:      %s%n", f.getString("failure"));
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
