package io.muster.cli;

import io.muster.declarative.ClusterSpec;
import io.muster.declarative.ClusterSpecs;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
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
    Optional<AgentCall.Answer> answer =
        AgentCall.authorized(
            spec,
            config.load(),
            "/v1/cluster-config",
            "PUT",
            HttpRequest.BodyPublishers.ofString(text),
            Duration.ofSeconds(30));
    if (answer.isEmpty()) {
      return 1;
    }
    JsonObject body = answer.get().json();
    if (answer.get().status() == 200) {
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
            "muster: not applied (HTTP " + answer.get().status() + "): " + answer.get().detail());
    return 1;
  }
}
