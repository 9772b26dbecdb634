package io.muster.backend.k8s;

import static io.muster.backend.k8s.K8sBackendFactory.*;

import io.muster.spi.InvalidSettingException;
import io.muster.spi.Settings;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The API backend's settings, read and checked once, before anything connects: a CA file that
 * cannot be read is an {@link InvalidSettingException} naming its key.
 */
record K8sSettings(
    String service,
    boolean useHostname,
    String hostnameSuffix,
    Path tokenPath,
    Path namespacePath,
    String scheme,
    String host,
    int port,
    Path certPath) {

  static K8sSettings from(Settings s) {
    K8sSettings k =
        new K8sSettings(
            s.get(SERVICE_NAME),
            "hostname".equals(s.get(ADDRESS_TYPE)),
            s.get(HOSTNAME_SUFFIX),
            s.get(TOKEN_PATH),
            s.get(NAMESPACE_PATH),
            s.get(SCHEME),
            s.get(HOST),
            s.get(PORT),
            s.get(CERT_PATH));
    if (k.tls() && !Files.isReadable(k.certPath())) {
      throw new InvalidSettingException(
          CERT_PATH, "a readable CA file for the API server (" + k.certPath() + " is not)");
    }
    return k;
  }

  boolean tls() {
    return "https".equals(scheme);
  }

  /** The API server, as logged and named in failures. */
  String where() {
    return scheme + "://" + host + ":" + port;
  }
}
