package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
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
    // the leave command may stop a broker: give it the agent's own bound and a minute
    Optional<AgentCall.Answer> answer =
        AgentCall.authorized(
            spec,
            loaded,
            "/v1/leave",
            "POST",
            HttpRequest.BodyPublishers.noBody(),
            loaded.exec().stopTimeout().plus(Duration.ofSeconds(90)));
    if (answer.isEmpty()) {
      return 1;
    }
    JsonObject body = answer.get().json();
    if (answer.get().status() == 200) {
      spec.commandLine()
          .getOut()
          .printf(
              "left cluster %s: %s unregistered, its record removed; the agent stops%n",
              body.getString("left"), body.getString("node"));
      return 0;
    }
    spec.commandLine()
        .getErr()
        .println("muster: not left (HTTP " + answer.get().status() + "): " + answer.get().detail());
    return 1;
  }
}
