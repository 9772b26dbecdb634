package io.muster.backend.etcd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway CA, server certificate (127.0.0.1, localhost) and client certificate, via openssl.
 */
public final class TestCerts {

  private Path dir;

  public void create(Path dir) throws IOException, InterruptedException {
    this.dir = Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
    Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    String ec = "ec:" + dir.resolve("ec.param");
    run("openssl", "ecparam", "-name", "prime256v1", "-out", dir.resolve("ec.param").toString());
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        ec,
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=muster-test-ca");
    for (String who : List.of("server", "client")) {
      run(
          "openssl",
          "req",
          "-newkey",
          ec,
          "-nodes",
          "-keyout",
          who + ".raw.key",
          "-out",
          who + ".csr",
          "-subj",
          "/CN=muster-test-" + who);
      run(
          "openssl",
          "x509",
          "-req",
          "-in",
          who + ".csr",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-out",
          who + ".pem",
          "-days",
          "2",
          "-extfile",
          who + ".ext");
      // Java reads PKCS#8 keys.
      run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", who + ".raw.key", "-out", who + ".key");
    }
  }

  private void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  public Path ca() {
    return dir.resolve("ca.pem");
  }

  Path serverCert() {
    return dir.resolve("server.pem");
  }

  Path serverKey() {
    return dir.resolve("server.key");
  }

  public Path clientCert() {
    return dir.resolve("client.pem");
  }

  public Path clientKey() {
    return dir.resolve("client.key");
  }
}
