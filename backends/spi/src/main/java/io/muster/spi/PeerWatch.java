package io.muster.spi;

/**
 * Capability of backends that can push peer changes (etcd watch, Consul blocking query) instead of
 * being polled. The core re-reads the peers through {@link Backend#discover} whenever the watch
 * says something changed, and polls only while discovery is failing.
 */
public interface PeerWatch {

  /**
   * Starts following peer changes. {@code changed} runs (on any thread, must not block) after every
   * change, and also when the watch broke or was re-established, so that the core re-reads and
   * notices failures. The backend re-establishes a broken watch itself.
   *
   * @return stops the watch
   */
  Subscription watchPeers(Runnable changed);

  /** A running watch. */
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }
}
