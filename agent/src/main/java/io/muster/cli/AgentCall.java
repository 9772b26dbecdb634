package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;

/** A CLI command's one request to a running agent's API; says so when no agent answers. */
final class AgentCall {

  private AgentCall() {}

  /**
   * A mutating call to this config's agent: {@code path} on its API, with the API token where one
   * is set, bounded by {@code timeout}; the answer's JSON body (empty when it is not JSON) with its
   * status, or empty when nothing answers (said on the error stream).
   */
  static Optional<Answer> authorized(
      CommandSpec spec,
      AgentConfig loaded,
      String path,
      String method,
      HttpRequest.BodyPublisher body,
      Duration timeout)
      throws InterruptedException {
    String target = loaded.core().apiBind() + ":" + loaded.core().apiPort();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://" + target + path))
            .method(method, body)
            .timeout(timeout);
    loaded
        .apiToken()
        .ifPresent(
            t ->
                request.header("Authorization", "Bearer " + new String(t, StandardCharsets.UTF_8)));
    Optional<HttpResponse<String>> answer = send(spec, target, request.build());
    if (answer.isEmpty()) {
      return Optional.empty();
    }
    JsonObject json;
    try {
      json = new JsonObject(answer.get().body());
    } catch (RuntimeException e) {
      json = new JsonObject();
    }
    return Optional.of(new Answer(answer.get().statusCode(), json, answer.get().body()));
  }

  /** An agent's answer: status, JSON body (empty when not JSON), and the body as sent. */
  record Answer(int status, JsonObject json, String body) {

    /** The problem's {@code detail}, or the body itself. */
    String detail() {
      return json.getString("detail", body);
    }
  }

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
