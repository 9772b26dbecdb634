package io.muster.backend.consul;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Test helper: plain HTTP calls to a Consul (emulated or real), as any other client would send. */
final class RawConsul {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final String base;
  private final String token;

  /**
   * @param address host:port or http(s)://host:port
   */
  RawConsul(String address, String token) {
    this.base = address.contains("://") ? address : "http://" + address;
    this.token = token;
  }

  record Answer(int status, String body, long index) {}

  Answer send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("X-Consul-Token", token);
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    long index = r.headers().firstValueAsLong("X-Consul-Index").orElse(0);
    return new Answer(r.statusCode(), r.body().trim(), index);
  }

  Answer get(String path) throws Exception {
    return send("GET", path, null);
  }

  Answer put(String path, String body) throws Exception {
    return send("PUT", path, body);
  }

  Answer delete(String path) throws Exception {
    return send("DELETE", path, null);
  }
}
