package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdPaths.bytes;
import static io.muster.backend.etcd.EtcdPaths.text;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.muster.spi.PeerWatch;
import io.muster.spi.support.Retry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the presence keys with an etcd watch on their prefix. Every event tells the core to
 * re-read (one range read per change, no polling). jetcd reports transient errors and resumes the
 * watch itself; only when it gives up (compaction, auth, closed) is the watch re-created, after a
 * jittered delay, followed by a re-read and a check that our own key is still there (a deletion in
 * the gap would otherwise go unseen).
 */
final class PeerWatcher implements PeerWatch.Subscription {

  private static final Logger LOG = LoggerFactory.getLogger(PeerWatcher.class);

  private final Watch client;
  private final String prefix;
  private final String ownKey;
  private final Runnable changed;
  private final Runnable ownKeyDeleted;
  private final Runnable resynced;
  private final Retry retry;

  /** Callbacks of older watchers (closed or replaced) carry an old generation and are ignored. */
  private final AtomicInteger generation = new AtomicInteger();

  private volatile Watch.Watcher watcher;
  private volatile boolean closed;

  /**
   * @param changed something changed or broke: re-read
   * @param ownKeyDeleted a DELETE of this node's key was seen
   * @param resynced the watch was re-created: check what may have been missed
   */
  PeerWatcher(
      Watch client,
      Vertx vertx,
      String prefix,
      String ownKey,
      Runnable changed,
      Runnable ownKeyDeleted,
      Runnable resynced) {
    this.client = client;
    this.retry = new Retry(vertx, Duration.ofSeconds(1));
    this.prefix = prefix;
    this.ownKey = ownKey;
    this.changed = changed;
    this.ownKeyDeleted = ownKeyDeleted;
    this.resynced = resynced;
  }

  synchronized PeerWatcher start() {
    if (closed) {
      return this;
    }
    int gen = generation.incrementAndGet();
    LOG.debug("etcd: watch prefix {} (generation {})", prefix, gen);
    watcher =
        client.watch(
            bytes(prefix),
            WatchOption.builder().isPrefix(true).build(),
            Watch.listener(r -> onEvents(gen, r), t -> onError(gen, t), () -> onCompleted(gen)));
    return this;
  }

  private void onEvents(int gen, WatchResponse r) {
    if (gen != generation.get()) {
      return;
    }
    retry.succeeded();
    if (r.getEvents().isEmpty()) {
      return;
    }
    for (WatchEvent e : r.getEvents()) {
      String key = text(e.getKeyValue().getKey());
      LOG.debug("etcd watch: {} {}", e.getEventType(), key);
      if (e.getEventType() == WatchEvent.EventType.DELETE && key.equals(ownKey)) {
        ownKeyDeleted.run();
      }
    }
    changed.run();
  }

  private void onError(int gen, Throwable t) {
    if (gen != generation.get() || closed) {
      return;
    }
    // jetcd resumes the watch itself after a transient error; a re-read shows whether etcd is
    // reachable (and flags the list stale if not).
    LOG.debug("etcd watch on {} reported {}; jetcd resumes it", prefix, t.getMessage());
    changed.run();
  }

  private void onCompleted(int gen) {
    synchronized (this) {
      if (gen != generation.get() || closed) {
        return; // we closed or replaced it ourselves
      }
      generation.incrementAndGet(); // this watcher is dead: ignore anything more from it
    }
    Retry.Scheduled again =
        retry.failed(
            () -> {
              if (!closed) {
                start();
                changed.run();
                resynced.run();
              }
            });
    LOG.warn(
        "etcd watch on {} was ended by jetcd; re-creating it in {} ms",
        prefix,
        again.delay().toMillis());
    changed.run();
  }

  @Override
  public void close() {
    Watch.Watcher w;
    synchronized (this) {
      closed = true;
      generation.incrementAndGet();
      w = watcher;
    }
    if (w != null) {
      w.close();
    }
  }
}
