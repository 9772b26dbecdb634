package io.muster.backend.k8s;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A Kubernetes API server the k8s tests run against: {@link KubeApiEmulator} (written here) or
 * {@link Fabric8KubeApi} (fabric8's mock server, written elsewhere). What both can do.
 */
interface KubeApi extends AutoCloseable {

  /**
   * The Service's pods now: slices and Endpoints as the controllers would write them, and the Pods
   * themselves (a terminating one with {@code metadata.deletionTimestamp}).
   */
  void endpoints(List<KubeApiEmulator.Address> list) throws Exception;

  /**
   * The pod named is deleted while the Endpoints still list it (before the endpoints controller
   * catches up): its GET answers 404.
   */
  void deletePod(String name) throws Exception;

  /** At most this many endpoints per slice (the controller's default is 100). */
  void maxPerSlice(int n);

  /** The Service publishes not-ready addresses. */
  void publishNotReadyAddresses(boolean on);

  /** The EndpointSlice API is not served (404), as on clusters before it. */
  void disableSlices();

  /** A service account's files in {@code dir}; the backend's config lines for this server. */
  String serviceAccount(Path dir, String token) throws IOException;

  /** Starts a server of the kind named ({@code emulator} or {@code fabric8}). */
  static KubeApi start(String kind) throws Exception {
    return switch (kind) {
      case "emulator" -> new KubeApiEmulator().start();
      case "fabric8" -> new Fabric8KubeApi().start();
      default -> throw new IllegalArgumentException(kind);
    };
  }

  @Override
  void close() throws Exception;
}
