package io.muster.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** Test helper: reads an agent's loopback API over real HTTP, as a node or an operator would. */
public final class AgentApi {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private AgentApi() {}

  public static String get(int port, String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.body();
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path + " on port " + port + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static JsonObject peers(int port) {
    return new JsonObject(get(port, "/v1/peers"));
  }

  public static List<String> peerNames(int port) {
    JsonArray a = peers(port).getJsonArray("peers");
    return a.stream().map(Object::toString).toList();
  }

  public static boolean stale(int port) {
    return peers(port).getBoolean("stale");
  }

  public static JsonObject status(int port) {
    return new JsonObject(get(port, "/v1/status"));
  }
}
