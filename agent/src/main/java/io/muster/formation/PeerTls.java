package io.muster.formation;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Mutual TLS on the peer port ({@code muster.peer.tls.*}): every agent presents a certificate
 * signed by the cluster's CA and accepts only peers that do, in both directions; the prober also
 * checks the peer's certificate names the host it dialled. The files are read again when they
 * change ({@link #stamp}), so a rotated certificate takes effect without a restart.
 */
public record PeerTls(Path certFile, Path keyFile, Path caFile, Duration reloadInterval) {

  public ServerSSLOptions serverOptions() {
    return new ServerSSLOptions()
        .setKeyCertOptions(keyCert())
        .setTrustOptions(trust())
        .setClientAuth(ClientAuth.REQUIRED);
  }

  public ClientSSLOptions clientOptions() {
    return new ClientSSLOptions()
        .setKeyCertOptions(keyCert())
        .setTrustOptions(trust())
        .setHostnameVerificationAlgorithm("HTTPS");
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertPath(certFile.toString()).setKeyPath(keyFile.toString());
  }

  private PemTrustOptions trust() {
    return new PemTrustOptions().addCertPath(caFile.toString());
  }

  /** The files' last modification times: when it changes, the certificates are read again. */
  public String stamp() {
    StringBuilder b = new StringBuilder();
    for (Path f : List.of(certFile, keyFile, caFile)) {
      try {
        b.append(Files.getLastModifiedTime(f).toMillis()).append('/').append(Files.size(f));
      } catch (IOException e) {
        b.append("missing");
      }
      b.append(' ');
    }
    return b.toString();
  }
}
