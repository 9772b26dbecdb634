package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.muster.declarative.ClusterSpec;
import io.muster.declarative.ClusterSpecs;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code muster apply FILE}: hands a declarative cluster config (the Clusterer's format, or
 * Muster's JSON) to this node's running agent ({@code PUT /v1/cluster-config}). The file is read
 * and checked here first, so a mistake is exit 2 before anything is sent.
 */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description =
        "Hand a new declarative cluster config to this node's running agent (PUT"
            + " /v1/cluster-config). A younger version is stored and in force at once; an older"
            + " one, or the same version with other content, is refused and changes nothing.")
final class ApplyCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = "[{version, N}, {nodes, [...]}, {gospel, ...}]. or {\"version\": N, ...}")
  Path file;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    String text;
    ClusterSpec parsed;
    try {
      text = Files.readString(file);
      parsed = ClusterSpecs.parse(text, file.toString());
    } catch (IOException e) {
      spec.commandLine().getErr().println("muster: cannot read " + file + ": " + e.getMessage());
      return 2;
    } catch (ClusterSpecs.InvalidSpecException e) {
      spec.commandLine().getErr().println("muster: " + e.getMessage());
      return 2;
    }
    AgentConfig loaded = config.load();
    String target = loaded.core().apiBind() + ":" + loaded.core().apiPort();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://" + target + "/v1/cluster-config"))
            .PUT(HttpRequest.BodyPublishers.ofString(text))
            .timeout(Duration.ofSeconds(30));
    loaded
        .apiToken()
        .ifPresent(
            t ->
                request.header("Authorization", "Bearer " + new String(t, StandardCharsets.UTF_8)));
    Optional<HttpResponse<String>> answer = AgentCall.send(spec, target, request.build());
    if (answer.isEmpty()) {
      return 1;
    }
    HttpResponse<String> response = answer.get();
    JsonObject body;
    try {
      body = new JsonObject(response.body());
    } catch (RuntimeException e) {
      body = new JsonObject();
    }
    if (response.statusCode() == 200) {
      String outcome = body.getString("outcome", "");
      spec.commandLine()
          .getOut()
          .println(
              (outcome.equals("same")
                      ? "unchanged: version " + parsed.version() + " is already in force"
                      : "applied: " + parsed.describe() + " is in force on this node")
                  + (body.getString("to_forget") == null
                      ? ""
                      : "; " + body.getString("to_forget") + " is dropped"));
      return 0;
    }
    spec.commandLine()
        .getErr()
        .println(
            "muster: not applied (HTTP "
                + response.statusCode()
                + "): "
                + body.getString("detail", response.body()));
    return 1;
  }
}
