package io.muster.formation;

import io.muster.spi.NodeName;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks peers' agents {@code GET /v1/node} on their peer port, telling them who asks ({@code
 * Muster-Node} header) so they count this node as discovered. An answer that names another node, or
 * carries malformed fields, is discarded and logged.
 */
public final class PeerProber implements AutoCloseable {

  /** Header that carries the probing node's name. */
  public static final String FROM_HEADER = "Muster-Node";

  /**
   * Declarative mode: the version of the cluster config the prober holds, so that an agent behind
   * it fetches it from the prober at once (the push half of spreading; the fetch is signed).
   */
  public static final String CONFIG_VERSION_HEADER = "Muster-Config-Version";

  private volatile LongSupplier configVersion = () -> 0;

  /** Declarative mode: every probe tells the version of the config in force. */
  public void tellConfigVersion(LongSupplier version) {
    this.configVersion = version;
  }

  private static final Logger LOG = LoggerFactory.getLogger(PeerProber.class);

  private final WebClient client;
  private final NodeName self;
  private final int port;
  private final Duration timeout;
  private final Map<NodeName, String> lastProblem = new ConcurrentHashMap<>();
  private final Optional<PeerAuth> auth;
  private final Clock clock;
  private final Optional<PeerTls> tls;

  /** Reads the certificate files again (rotation); completes true when they were taken. */
  public Future<Boolean> reloadTls() {
    return tls.isEmpty()
        ? Future.succeededFuture(false)
        : client.updateSSLOptions(tls.get().clientOptions(), true);
  }

  /**
   * With {@code auth}, every probe is signed and only answers signed for it are accepted; with
   * {@code tls}, probes go over TLS with this agent's certificate, verifying the peer's.
   */
  public PeerProber(
      Vertx vertx,
      NodeName self,
      int port,
      Duration timeout,
      Optional<PeerAuth> auth,
      Clock clock,
      Optional<PeerTls> tls) {
    this.auth = auth;
    this.clock = clock;
    this.tls = tls;
    WebClientOptions options =
        new WebClientOptions()
            .setConnectTimeout((int) timeout.toMillis())
            .setKeepAlive(false)
            .setUserAgent("muster");
    tls.ifPresent(
        t -> {
          ClientSSLOptions ssl = t.clientOptions();
          options
              .setSsl(true)
              .setVerifyHost(true)
              .setKeyCertOptions(ssl.getKeyCertOptions())
              .setTrustOptions(ssl.getTrustOptions());
        });
    this.client = WebClient.create(vertx, options);
    this.self = self;
    this.port = port;
    this.timeout = timeout;
  }

  /** Probes every target in parallel; the map holds the peers that answered usefully. */
  public CompletableFuture<Map<NodeName, NodeInfo>> probeAll(Set<NodeName> targets) {
    Map<NodeName, NodeInfo> answers = new ConcurrentSkipListMap<>();
    List<Future<Void>> all = new ArrayList<>();
    for (NodeName target : targets) {
      all.add(
          probe(target)
              .map(
                  info -> {
                    answers.put(target, info);
                    lastProblem.remove(target);
                    return (Void) null;
                  })
              .recover(
                  e -> {
                    String problem =
                        e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                    String before = lastProblem.put(target, problem);
                    if (!problem.equals(before)) {
                      LOG.debug("Peer agent {} did not answer usefully: {}", target, problem);
                    }
                    return Future.succeededFuture();
                  }));
    }
    CompletableFuture<Map<NodeName, NodeInfo>> result = new CompletableFuture<>();
    Future.join(all).onComplete(ar -> result.complete(Map.copyOf(answers)));
    return result;
  }

  /** The last problem seen with each peer that did not answer, for {@code /v1/status}. */
  public Map<NodeName, String> problems() {
    return Map.copyOf(lastProblem);
  }

  /**
   * Declarative mode: the cluster config in force on {@code target}'s agent ({@code GET
   * /v1/cluster-config} on its peer port, signed and checked as a probe is), as JSON text.
   */
  public CompletableFuture<String> fetchConfig(NodeName target) {
    return get(target, "/v1/cluster-config", Map.of()).toCompletionStage().toCompletableFuture();
  }

  /** A GET on {@code target}'s peer port: the body of a 200 whose signature checks out. */
  private Future<String> get(NodeName target, String path, Map<String, String> headers) {
    LOG.debug("GET http://{}:{}{}", target.host(), port, path);
    HttpRequest<Buffer> request =
        client
            .request(HttpMethod.GET, port, target.address(), path)
            .timeout(timeout.toMillis())
            .putHeader(FROM_HEADER, self.toString())
            .putHeader("Accept", "application/json");
    headers.forEach(request::putHeader);
    Map<String, String> signed =
        auth.map(a -> a.signRequest("GET", path, self.toString(), clock.instant()))
            .orElse(Map.of());
    signed.forEach(request::putHeader);
    return request
        .send()
        .compose(
            response -> {
              if (response.statusCode() != 200) {
                return Future.failedFuture("HTTP " + response.statusCode() + " from " + target);
              }
              if (auth.isPresent()
                  && !auth.get()
                      .checkAnswer(
                          signed.get(PeerAuth.NONCE_HEADER),
                          response.statusCode(),
                          response.body() == null ? new byte[0] : response.body().getBytes(),
                          response.getHeader(PeerAuth.SIGNATURE_HEADER))) {
                return Future.failedFuture(
                    "the answer from "
                        + target
                        + " is not signed for this request with the peer secret (another secret,"
                        + " or not a Muster agent)");
              }
              return Future.succeededFuture(
                  response.body() == null ? "" : response.body().toString());
            });
  }

  private Future<NodeInfo> probe(NodeName target) {
    long version = configVersion.getAsLong();
    return get(
            target,
            "/v1/node",
            version > 0 ? Map.of(CONFIG_VERSION_HEADER, Long.toString(version)) : Map.of())
        .compose(
            body -> {
              List<String> rejected = new ArrayList<>();
              NodeInfo info;
              try {
                info = NodeInfo.fromJson(new JsonObject(body), rejected);
              } catch (RuntimeException e) {
                return Future.failedFuture(
                    "unusable answer from " + target + ": " + e.getMessage());
              }
              if (!rejected.isEmpty()) {
                LOG.warn(
                    "Peer agent {} reported invalid node names, ignored: {}", target, rejected);
              }
              if (!info.node().equals(target)) {
                return Future.failedFuture(
                    "the agent at "
                        + target.host()
                        + ":"
                        + port
                        + " is "
                        + info.node()
                        + ", not "
                        + target);
              }
              return Future.succeededFuture(info);
            });
  }

  @Override
  public void close() {
    client.close();
  }
}
