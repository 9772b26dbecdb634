package io.muster.backend.k8s;

import static io.muster.backend.k8s.K8sBackendFactory.*;

import io.muster.spi.Backend;
import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.DiscoveryResult.Kind;
import io.muster.spi.NodeName;
import io.muster.spi.support.PeerList;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovery from the Kubernetes API: the Service's EndpointSlices (or its Endpoints where slices
 * are not served, with the pods they list read to leave out terminating ones: {@link
 * TerminatingPods}), ready and not-ready addresses alike. The service account token is read from
 * its file for every request, since bound tokens rotate; a 401 re-reads it and retries once. The
 * ordinal rule, which never calls the API, is {@link OrdinalRuleBackend}.
 */
final class K8sBackend implements Backend {

  private static final Logger LOG = LoggerFactory.getLogger(K8sBackend.class);

  private final NodeName self;
  private final String service;
  private final boolean useHostname;
  private final String suffix;

  /**
   * How long EndpointSlices are not asked for after they answered 403 or 404 (RBAC or API changes
   * are picked up after this).
   */
  static final Duration SLICES_RECHECK = Duration.ofMinutes(10);

  private volatile boolean slicesRefused;
  private volatile long slicesAgainAt;

  private final Path tokenPath;
  private final Path namespacePath;
  private final WebClient client;
  private final String where;
  private final String host;
  private final Path certPath;
  private final EndpointNames names;
  private final TerminatingPods pods;

  K8sBackend(K8sSettings k, NodeName self, Vertx vertx) {
    this.self = self;
    this.service = k.service();
    this.useHostname = k.useHostname();
    this.suffix = k.hostnameSuffix();
    this.tokenPath = k.tokenPath();
    this.namespacePath = k.namespacePath();
    this.where = k.where();
    this.host = k.host();
    this.certPath = k.certPath();
    this.names = new EndpointNames(self, service, useHostname, suffix);
    WebClientOptions o =
        new WebClientOptions()
            .setDefaultHost(k.host())
            .setDefaultPort(k.port())
            .setConnectTimeout(5000)
            .setUserAgent("muster");
    if (k.tls()) {
      o.setSsl(true)
          .setVerifyHost(true)
          .setTrustOptions(new PemTrustOptions().addCertPath(k.certPath().toString()));
    }
    this.client = WebClient.create(vertx, o);
    this.pods = new TerminatingPods(path -> get(path, null, true));
    LOG.info(
        "k8s backend: {} service {} (namespace from {}), node names from the endpoints' {}",
        where,
        service,
        namespacePath,
        useHostname ? "hostnames + '" + suffix + "'" : "IPs");
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    String ns;
    try {
      ns = Files.readString(namespacePath).trim();
    } catch (IOException e) {
      return CompletableFuture.completedFuture(
          new DiscoveryResult.Failure(
              Kind.OTHER, "k8s: cannot read the namespace from " + namespacePath + ": " + why(e)));
    }
    String endpoints = "/api/v1/namespaces/" + ns + "/endpoints/" + service;
    // pod GETs unanswered by four fifths of the timeout keep their addresses, not fail the read
    long podsBy = System.nanoTime() + timeout.toNanos() / 5 * 4;
    CompletableFuture<Read> read;
    if (slicesRefused && System.nanoTime() - slicesAgainAt < 0) {
      read = endpoints(endpoints, ns, podsBy);
    } else {
      String slices = "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices";
      read =
          get(slices, "kubernetes.io/service-name=" + service, true)
              .thenCompose(
                  r -> {
                    if (r.statusCode() == 404 || r.statusCode() == 403) {
                      // 404: no EndpointSlice API; 403: RBAC allows only get on endpoints
                      // (RabbitMQ's examples). Remembered, so each read is one request.
                      slicesRefusedBy(r.statusCode());
                      return endpoints(endpoints, ns, podsBy);
                    }
                    slicesRefused = false;
                    if (r.statusCode() == 200 && noItems(r)) {
                      // no slice at all: a cluster whose slice controllers do not mirror this
                      // Service (or a server that only stores what it is given) may still list
                      // it in Endpoints; asked for this read only
                      return endpoints(endpoints, ns, podsBy);
                    }
                    return CompletableFuture.completedFuture(new Read(r, true, Map.of()));
                  });
    }
    return read.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((r, t) -> t != null ? failure(t) : answer(r, ns));
  }

  /**
   * An answer and what was asked for: the parser follows the request made, not the answer's {@code
   * kind} (a server may call a slice list {@code List}, as fabric8's mock does); for Endpoints, the
   * listed pods that are not peers (which slices mark themselves).
   */
  private record Read(
      HttpResponse<Buffer> response, boolean slices, Map<String, String> notPeers) {}

  /** The Endpoints, and then the pods they list (Endpoints do not mark terminating ones). */
  private CompletableFuture<Read> endpoints(String path, String ns, long podsBy) {
    return get(path, null, true)
        .thenCompose(e -> pods.notPeers(ns, e, podsBy).thenApply(n -> new Read(e, false, n)));
  }

  private static boolean noItems(HttpResponse<Buffer> r) {
    try {
      return r.bodyAsJsonObject().getJsonArray("items", new JsonArray()).isEmpty();
    } catch (RuntimeException e) {
      return false; // unreadable: reported as such by the slice parser
    }
  }

  private void slicesRefusedBy(int status) {
    if (!slicesRefused) {
      LOG.info(
          "k8s: EndpointSlices answered {} ({}); reading Endpoints instead, and EndpointSlices"
              + " again in {} min",
          status,
          status == 403 ? "the role allows no list on endpointslices" : "no EndpointSlice API",
          SLICES_RECHECK.toMinutes());
    }
    slicesRefused = true;
    slicesAgainAt = System.nanoTime() + SLICES_RECHECK.toNanos();
  }

  /** One GET with the token read now; a 401 re-reads the token and retries once. */
  private CompletableFuture<HttpResponse<Buffer>> get(String path, String selector, boolean retry) {
    String token;
    try {
      token = Files.readString(tokenPath).trim();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new TokenUnreadable(tokenPath, e));
    }
    LOG.debug("k8s: GET {}{}", path, selector == null ? "" : "?labelSelector=" + selector);
    var req =
        client
            .get(path)
            .putHeader("Authorization", "Bearer " + token)
            .putHeader("Accept", "application/json");
    if (selector != null) {
      req.addQueryParam("labelSelector", selector);
    }
    return req.timeout(10_000)
        .send()
        .toCompletionStage()
        .toCompletableFuture()
        .thenCompose(
            r -> {
              if (r.statusCode() == 401 && retry) {
                LOG.info(
                    "k8s: the API refused the token (401); re-reading {} and retrying once",
                    tokenPath);
                return get(path, selector, false);
              }
              return CompletableFuture.completedFuture(r);
            });
  }

  private DiscoveryResult answer(Read read, String ns) {
    HttpResponse<Buffer> r = read.response();
    int status = r.statusCode();
    if (status == 401) {
      return new DiscoveryResult.Failure(
          Kind.AUTH,
          "k8s " + where + ": the service account token was refused (401) after a re-read");
    }
    if (status == 403) {
      return new DiscoveryResult.Failure(
          Kind.AUTH,
          "k8s "
              + where
              + ": forbidden (403): the service account needs get on endpoints (or list on"
              + " endpointslices) in namespace "
              + ns);
    }
    if (status == 404) {
      return new DiscoveryResult.Failure(
          Kind.BAD_RESPONSE,
          "k8s " + where + ": no endpoints for service " + service + " in namespace " + ns);
    }
    if (status != 200) {
      return new DiscoveryResult.Failure(
          Kind.BAD_RESPONSE, "k8s " + where + ": HTTP " + status + " reading the endpoints");
    }
    JsonObject body;
    try {
      body = r.bodyAsJsonObject();
    } catch (RuntimeException e) {
      return new DiscoveryResult.Failure(Kind.BAD_RESPONSE, "k8s " + where + ": unreadable answer");
    }
    PeerList peers = new PeerList(self.prefix());
    if (read.slices()) {
      names.fromSlices(body, peers);
    } else {
      names.fromEndpoints(body, peers, read.notPeers());
    }
    if (peers.isEmpty()) {
      return new DiscoveryResult.Failure(
          Kind.BAD_RESPONSE,
          "k8s "
              + where
              + ": service "
              + service
              + " in namespace "
              + ns
              + " has no usable endpoints yet"
              + peers.leftOut());
    }
    return peers.peers();
  }

  private DiscoveryResult failure(Throwable t) {
    Throwable c = BackendFailure.unwrap(t);
    if (c instanceof TokenUnreadable) {
      return new DiscoveryResult.Failure(Kind.AUTH, "k8s " + where + ": " + c.getMessage());
    }
    if (c instanceof TimeoutException) {
      return new DiscoveryResult.Failure(
          Kind.TIMEOUT, "k8s " + where + ": no answer within the discovery timeout");
    }
    if (untrusted(c)) {
      return new DiscoveryResult.Failure(
          Kind.OTHER,
          "k8s "
              + where
              + ": the API server's certificate is not signed by the CA in "
              + certPath
              + " ("
              + CERT_PATH.name()
              + "), or does not name "
              + host
              + ": TLS handshake refused");
    }
    return new DiscoveryResult.Failure(
        BackendFailure.classify(c), "k8s " + where + ": " + BackendFailure.message(c));
  }

  /** A TLS handshake the server's certificate failed (wrong CA, or a name it does not carry). */
  private static boolean untrusted(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLHandshakeException
          || c instanceof CertificateException
          || c instanceof CertPathBuilderException) {
        return true;
      }
    }
    return false;
  }

  /** The service account token could not be read. */
  static final class TokenUnreadable extends RuntimeException {
    TokenUnreadable(Path path, IOException e) {
      super("cannot read the service account token " + path + ": " + why(e), null, false, false);
    }
  }

  /**
   * Why a file could not be read, without repeating its path (NoSuchFileException's message is the
   * path alone).
   */
  static String why(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  @Override
  public void close() {
    client.close();
  }
}
