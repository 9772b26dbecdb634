package io.muster.cli;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;

/** A CLI command's one request to a running agent's API; says so when no agent answers. */
final class AgentCall {

  private AgentCall() {}

  /**
   * Sends {@code request} to the agent at {@code target}; empty (and the reason printed on the
   * command's error stream) when nothing answers there.
   */
  static Optional<HttpResponse<String>> send(CommandSpec spec, String target, HttpRequest request)
      throws InterruptedException {
    try {
      return Optional.of(
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(3))
              .build()
              .send(request, HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      spec.commandLine()
          .getErr()
          .println(
              "muster: no agent answers at " + target + " (" + e.getClass().getSimpleName() + ")");
      return Optional.empty();
    }
  }
}
