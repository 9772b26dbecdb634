package io.muster.exec;

import io.muster.process.Commands;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** One readiness check of the child: a TCP connect, an HTTP GET or a command, each bounded. */
final class Readiness {

  private final ExecSettings.Probe probe;
  private final Duration bound;
  private final Map<String, String> env;
  private final HttpClient http;
  private volatile String lastFailure = "not probed yet";

  Readiness(ExecSettings.Probe probe, Duration bound, Map<String, String> env) {
    this.probe = probe;
    this.bound = bound;
    this.env = env;
    this.http =
        probe instanceof ExecSettings.Probe.Http
            ? HttpClient.newBuilder().connectTimeout(bound).build()
            : null;
  }

  /**
   * True when the child is ready now; the reason it is not is kept for the log. A command probe may
   * take up to 30 s (an Erlang CLI tool starts a VM), never longer than {@code left}.
   */
  boolean check(Duration left) throws InterruptedException {
    if (probe instanceof ExecSettings.Probe.Tcp t) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(t.host(), t.port()), (int) bound.toMillis());
        return true;
      } catch (IOException e) {
        lastFailure = "tcp " + t.host() + ":" + t.port() + ": " + e.getMessage();
        return false;
      }
    }
    if (probe instanceof ExecSettings.Probe.Http h) {
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(h.url()).timeout(bound).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() / 100 == 2) {
          return true;
        }
        lastFailure = "GET " + h.url() + ": status " + r.statusCode();
        return false;
      } catch (IOException e) {
        lastFailure = "GET " + h.url() + ": " + e;
        return false;
      }
    }
    ExecSettings.Probe.Command c = (ExecSettings.Probe.Command) probe;
    // A command (e.g. an Erlang CLI tool) may need longer than the probe interval to start, but
    // never longer than the readiness time-out leaves.
    Duration max = bound.compareTo(Duration.ofSeconds(30)) < 0 ? Duration.ofSeconds(30) : bound;
    if (left.compareTo(max) < 0) {
      max = left.compareTo(bound) < 0 ? bound : left;
    }
    Commands.Result r = Commands.run(c.args(), env, max);
    if (r.ok()) {
      return true;
    }
    lastFailure = c.args() + " exit " + r.exit() + ": " + r.tail();
    return false;
  }

  String lastFailure() {
    return lastFailure;
  }

  @Override
  public String toString() {
    return probe.toString();
  }
}
