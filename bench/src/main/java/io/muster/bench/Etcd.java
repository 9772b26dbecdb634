package io.muster.bench;

import io.muster.backend.etcd.EtcdCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One real etcd member for a benchmark (the tests' {@link EtcdCluster}: Debian's etcd-server on
 * free 127.0.0.1 ports, fast raft timings), its Prometheus counters and its CPU time.
 */
final class Etcd implements AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern SAMPLE = Pattern.compile("^(\\w+)\\{([^}]*)\\} (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final EtcdCluster cluster = EtcdCluster.single();

  private Etcd() {}

  static Etcd start() throws Exception {
    Etcd e = new Etcd();
    e.cluster.beforeAll(null); // the extension reads nothing from its context
    return e;
  }

  /** host:port of the member's client listener. */
  String endpoint() {
    return cluster.clientUrl(0).replaceFirst("^https?://", "");
  }

  /**
   * The counter {@code name} (e.g. {@code grpc_server_msg_received_total}) summed by gRPC method,
   * as {@code Service/Method}, from the member's {@code /metrics}.
   */
  Map<String, Long> grpcCounter(String name) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(cluster.clientUrl(0) + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("etcd /metrics answered " + r.statusCode());
    }
    Map<String, Long> out = new TreeMap<>();
    for (String line : r.body().split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches() || !m.group(1).equals(name)) {
        continue;
      }
      Map<String, String> labels = new TreeMap<>();
      Matcher l = LABEL.matcher(m.group(2));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      String service = labels.getOrDefault("grpc_service", "?").replace("etcdserverpb.", "");
      String method = service + "/" + labels.getOrDefault("grpc_method", "?");
      out.merge(method, (long) Double.parseDouble(m.group(3)), Long::sum);
    }
    return out;
  }

  /** CPU time the etcd member has used so far (it is a child process of this JVM). */
  static Duration cpu() {
    return ProcessHandle.current()
        .children()
        .filter(p -> p.info().command().map(c -> c.endsWith("etcd")).orElse(false))
        .map(p -> p.info().totalCpuDuration().orElse(Duration.ZERO))
        .reduce(Duration.ZERO, Duration::plus);
  }

  @Override
  public void close() throws Exception {
    cluster.afterAll(null);
  }
}
