package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.muster.config.ConfigException;
import io.muster.formation.Decision;
import io.muster.testing.LogLines;
import io.muster.testing.Timing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: mutual TLS on the peer port ({@code muster.peer.tls.*}). Agents with certificates of
 * one CA form a cluster; plain HTTP and a client whose certificate another CA signed are refused; a
 * rotated certificate is served without a restart, and half a rotation (the certificate written,
 * its key not yet) is never served; a half-set config, or a key not the certificate's, is exit 2.
 */
class PeerTlsIT {

  @TempDir Path dir;

  private void openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
        .as(String.join(" ", cmd) + ": " + out)
        .isTrue();
  }

  /** A CA named {@code ca}: ca.pem, ca.key. */
  private void ca(String ca) throws Exception {
    openssl("ecparam", "-name", "prime256v1", "-out", "ec.param");
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec:ec.param",
        "-nodes",
        "-keyout",
        ca + ".key",
        "-out",
        ca + ".pem",
        "-days",
        "2",
        "-subj",
        "/CN=" + ca);
  }

  /** A certificate {@code name}.pem / .key (PKCS#8) for IP {@code ip}, signed by {@code ca}. */
  private void cert(String ca, String name, String ip) throws Exception {
    Files.writeString(
        dir.resolve(name + ".ext"),
        "subjectAltName=IP:" + ip + "\nextendedKeyUsage=serverAuth,clientAuth\n");
    openssl(
        "req",
        "-newkey",
        "ec:ec.param",
        "-nodes",
        "-keyout",
        name + ".raw",
        "-out",
        name + ".csr",
        "-subj",
        "/CN=" + name);
    openssl(
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        ca + ".pem",
        "-CAkey",
        ca + ".key",
        "-CAcreateserial",
        "-out",
        name + ".pem",
        "-days",
        "2",
        "-extfile",
        name + ".ext");
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", name + ".raw", "-out", name + ".key");
  }

  private String tls(String name) {
    return "muster.peer.tls.cert_file = "
        + dir.resolve(name + ".pem")
        + "\nmuster.peer.tls.key_file = "
        + dir.resolve(name + ".key")
        + "\nmuster.peer.tls.ca_file = "
        + dir.resolve("cluster-ca.pem")
        + "\nmuster.peer.tls.reload_interval = 200ms\n";
  }

  /** The serial of the certificate the peer port presents to a client with {@code name}'s. */
  private BigInteger servedSerial(Vertx vertx, int port, String name, String caName)
      throws Exception {
    io.vertx.core.http.HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setSsl(true)
                .setVerifyHost(false)
                .setKeyCertOptions(
                    new PemKeyCertOptions()
                        .setCertPath(dir.resolve(name + ".pem").toString())
                        .setKeyPath(dir.resolve(name + ".key").toString()))
                .setTrustOptions(
                    new PemTrustOptions().addCertPath(dir.resolve(caName + ".pem").toString())));
    try {
      return client
          .request(HttpMethod.GET, port, "127.0.0.1", "/v1/node")
          .compose(
              req ->
                  req.send()
                      .map(
                          resp -> {
                            try {
                              return ((X509Certificate) req.connection().peerCertificates().get(0))
                                  .getSerialNumber();
                            } catch (Exception e) {
                              throw new IllegalStateException(e);
                            }
                          }))
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } finally {
      client.close();
    }
  }

  @Test
  void agentsOfOneCaFormStrangersAndPlainHttpAreRefusedAndRotationNeedsNoRestart()
      throws Exception {
    ca("cluster-ca");
    cert("cluster-ca", "node1", "127.0.0.1");
    cert("cluster-ca", "node2", "127.0.0.2");
    ca("other-ca");
    cert("other-ca", "stranger", "127.0.0.1");
    Vertx vertx = Vertx.vertx();
    try (LoopbackAgents agents = new LoopbackAgents(dir.resolve("agents"), 2)) {
      Agent first = agents.start(1, List.of(1, 2), tls("node1"));
      Agent second = agents.start(2, List.of(1, 2), tls("node2"));
      Decision a = first.engine().decision().get(60, TimeUnit.SECONDS);
      Decision b = second.engine().decision().get(60, TimeUnit.SECONDS);
      assertThat(List.of(a, b)).filteredOn(d -> d instanceof Decision.Seed).hasSize(1);
      assertThat(a.clusterId()).isEqualTo(b.clusterId());

      int port = agents.peerPort;
      assertThatThrownBy(
              () ->
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + port + "/v1/node"))
                              .timeout(Duration.ofSeconds(5))
                              .build(),
                          HttpResponse.BodyHandlers.ofString()))
          .as("plain HTTP")
          .isInstanceOf(IOException.class);
      assertThatThrownBy(() -> servedSerial(vertx, port, "stranger", "cluster-ca"))
          .as("a client certificate of another CA")
          .isInstanceOf(java.util.concurrent.ExecutionException.class);

      BigInteger before = servedSerial(vertx, port, "node2", "cluster-ca");
      cert("cluster-ca", "node1", "127.0.0.1"); // rotated: same name, new serial
      BigInteger rotated =
          new BigInteger(Files.readAllLines(dir.resolve("cluster-ca.srl")).get(0).strip(), 16);
      assertThat(rotated).isNotEqualTo(before);
      await()
          .atMost(Timing.scaled(Duration.ofSeconds(30)))
          .untilAsserted(
              () ->
                  assertThat(servedSerial(vertx, port, "node2", "cluster-ca")).isEqualTo(rotated));

      // Half a rotation: the new certificate is in place, its key not yet. Served, that pair
      // would fail every handshake; the agent waits for the key and keeps the previous pair.
      try (LogLines log = new LogLines(Agent.class)) {
        cert("cluster-ca", "next", "127.0.0.1");
        BigInteger next =
            new BigInteger(Files.readAllLines(dir.resolve("cluster-ca.srl")).get(0).strip(), 16);
        Files.copy(
            dir.resolve("next.pem"), dir.resolve("node1.pem"), StandardCopyOption.REPLACE_EXISTING);
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .until(
                () ->
                    log.lines().stream()
                        .anyMatch(
                            l ->
                                l.startsWith("WARN")
                                    && l.contains("do not go together yet")
                                    && l.contains("is not the key of the certificate")));
        assertThat(servedSerial(vertx, port, "node2", "cluster-ca"))
            .as("the previous pair, still served whole")
            .isEqualTo(rotated);
        Files.copy(
            dir.resolve("next.key"), dir.resolve("node1.key"), StandardCopyOption.REPLACE_EXISTING);
        await()
            .atMost(Timing.scaled(Duration.ofSeconds(30)))
            .untilAsserted(
                () -> assertThat(servedSerial(vertx, port, "node2", "cluster-ca")).isEqualTo(next));
      }
    } finally {
      vertx.close();
    }
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsExitTwoNamingTheKeyLine() throws Exception {
    ca("cluster-ca");
    cert("cluster-ca", "node1", "127.0.0.1");
    cert("cluster-ca", "node2", "127.0.0.2");
    try (LoopbackAgents agents = new LoopbackAgents(dir.resolve("crossed"), 1)) {
      String text =
          agents.configText(
              1,
              List.of(1),
              "muster.peer.tls.cert_file = "
                  + dir.resolve("node1.pem")
                  + "\nmuster.peer.tls.key_file = "
                  + dir.resolve("node2.key")
                  + "\nmuster.peer.tls.ca_file = "
                  + dir.resolve("cluster-ca.pem")
                  + "\n");
      assertThatThrownBy(() -> AgentConfig.fromText("crossed.conf", text, Map.of()))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("crossed.conf:")
          .hasMessageContaining("muster.peer.tls.key_file")
          .hasMessageContaining("node2.key is not the key of the certificate in")
          .hasMessageContaining("node1.pem");
    }
  }

  @Test
  void aHalfSetTlsConfigIsExitTwoNamingWhatIsMissing() throws Exception {
    ca("cluster-ca");
    cert("cluster-ca", "node1", "127.0.0.1");
    try (LoopbackAgents agents = new LoopbackAgents(dir.resolve("half"), 1)) {
      String text =
          agents.configText(
              1, List.of(1), "muster.peer.tls.cert_file = " + dir.resolve("node1.pem") + "\n");
      assertThatThrownBy(() -> AgentConfig.fromText("half.conf", text, Map.of()))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("muster.peer.tls.key_file")
          .hasMessageContaining("muster.peer.tls.ca_file")
          .hasMessageContaining("together");
    }
  }
}
