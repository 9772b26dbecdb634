package io.muster.formation;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.X509KeyManager;

/**
 * Mutual TLS on the peer port ({@code muster.peer.tls.*}): every agent presents a certificate
 * signed by the cluster's CA and accepts only peers that do, in both directions; the prober also
 * checks the peer's certificate names the host it dialled. The files are read again when they
 * change ({@link #stamp}), so a rotated certificate takes effect without a restart.
 */
public record PeerTls(Path certFile, Path keyFile, Path caFile, Duration reloadInterval) {

  /** Key algorithm -> a signature it can make, to prove the key is the certificate's. */
  private static final Map<String, String> SIGNATURES =
      Map.of(
          "RSA", "SHA256withRSA",
          "EC", "SHA256withECDSA",
          "EdDSA", "EdDSA",
          "Ed25519", "Ed25519",
          "Ed448", "Ed448",
          "DSA", "SHA256withDSA");

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

  /**
   * Why the certificate and key files cannot serve together now, if they cannot: unreadable, not
   * PEM, or a key that is not the certificate's. A rotation that writes the two files one after the
   * other passes through such a state; serving it would fail every handshake until the second file
   * lands, so the caller keeps what it has and looks again.
   */
  public Optional<String> pairProblem() {
    X509KeyManager keys;
    try {
      // Values, not paths: read here, so no Vertx instance is needed to load them.
      keys =
          (X509KeyManager)
              new PemKeyCertOptions()
                  .setCertValue(Buffer.buffer(Files.readAllBytes(certFile)))
                  .setKeyValue(Buffer.buffer(Files.readAllBytes(keyFile)))
                  .getKeyManagerFactory(null)
                  .getKeyManagers()[0];
    } catch (Exception e) {
      return Optional.of(
          certFile
              + " and "
              + keyFile
              + " do not load as a PEM certificate and its key: "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
    for (Map.Entry<String, String> type : SIGNATURES.entrySet()) {
      String[] aliases = keys.getServerAliases(type.getKey(), null);
      if (aliases == null) {
        continue;
      }
      PrivateKey key = keys.getPrivateKey(aliases[0]);
      X509Certificate cert = keys.getCertificateChain(aliases[0])[0];
      try {
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        Signature sign = Signature.getInstance(type.getValue());
        sign.initSign(key);
        sign.update(challenge);
        byte[] signature = sign.sign();
        Signature verify = Signature.getInstance(type.getValue());
        verify.initVerify(cert.getPublicKey());
        verify.update(challenge);
        if (verify.verify(signature)) {
          return Optional.empty();
        }
      } catch (GeneralSecurityException e) {
        // falls through: said below
      }
      return Optional.of(
          "the key in "
              + keyFile
              + " is not the key of the certificate in "
              + certFile
              + " (serial "
              + cert.getSerialNumber().toString(16)
              + ")");
    }
    return Optional.empty(); // a key type not listed: the TLS stack is the judge
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
