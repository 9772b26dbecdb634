package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code muster leave}: a planned decommission of this node, done by its running agent ({@code POST
 * /v1/leave}): the node leaves its cluster ({@code muster.node.leave_command}), the agent
 * unregisters, removes its membership record and stops.
 */
@Command(
    name = "leave",
    mixinStandardHelpOptions = true,
    description =
        "Decommission this node: its agent runs muster.node.leave_command (the node leaves its"
            + " cluster), unregisters, removes its membership record and stops. Needs --yes.")
final class LeaveCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Option(names = "--yes", description = "Confirm: the node leaves its cluster for good.")
  boolean yes;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    if (!yes) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "leave: the node leaves its cluster for good, and its record is removed; add --yes");
    }
    AgentConfig loaded = config.load();
    String target = loaded.core().apiBind() + ":" + loaded.core().apiPort();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://" + target + "/v1/leave"))
            .POST(HttpRequest.BodyPublishers.noBody())
            // the leave command may stop a broker: give it the agent's own bound and a minute
            .timeout(loaded.exec().stopTimeout().plus(Duration.ofSeconds(90)));
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
      spec.commandLine()
          .getOut()
          .printf(
              "left cluster %s: %s unregistered, its record removed; the agent stops%n",
              body.getString("left"), body.getString("node"));
      return 0;
    }
    spec.commandLine()
        .getErr()
        .println(
            "muster: not left (HTTP "
                + response.statusCode()
                + "): "
                + body.getString("detail", response.body()));
    return 1;
  }
}
