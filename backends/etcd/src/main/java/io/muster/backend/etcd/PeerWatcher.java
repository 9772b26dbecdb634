package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdPaths.bytes;
import static io.muster.backend.etcd.EtcdPaths.text;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.muster.retry.Backoff;
import io.muster.spi.PeerWatch;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the presence keys with an etcd watch on their prefix. Every event tells the core to
 * re-read (one range read per change, no polling). jetcd resumes a watch across reconnects itself;
 * when it gives up (compaction, auth), the watch is re-created after a jittered delay.
 */
final class PeerWatcher implements PeerWatch.Subscription {

  private static final Logger LOG = LoggerFactory.getLogger(PeerWatcher.class);

  private final Watch client;
  private final Vertx vertx;
  private final String prefix;
  private final String ownKey;
  private final Runnable changed;
  private final Runnable ownKeyDeleted;
  private final Backoff backoff = new Backoff(Duration.ofSeconds(1));
  private volatile Watch.Watcher watcher;
  private volatile boolean closed;
  private int failures;

  PeerWatcher(
      Watch client,
      Vertx vertx,
      String prefix,
      String ownKey,
      Runnable changed,
      Runnable ownKeyDeleted) {
    this.client = client;
    this.vertx = vertx;
    this.prefix = prefix;
    this.ownKey = ownKey;
    this.changed = changed;
    this.ownKeyDeleted = ownKeyDeleted;
  }

  PeerWatcher start() {
    LOG.debug("etcd: watch prefix {}", prefix);
    watcher =
        client.watch(
            bytes(prefix),
            WatchOption.builder().isPrefix(true).build(),
            Watch.listener(this::onEvents, this::onError, this::onCompleted));
    return this;
  }

  private void onEvents(WatchResponse r) {
    failures = 0;
    boolean relevant = false;
    for (WatchEvent e : r.getEvents()) {
      relevant = true;
      String key = text(e.getKeyValue().getKey());
      LOG.debug("etcd watch: {} {}", e.getEventType(), key);
      if (e.getEventType() == WatchEvent.EventType.DELETE && key.equals(ownKey)) {
        ownKeyDeleted.run();
      }
    }
    if (relevant) {
      changed.run();
    }
  }

  private void onError(Throwable t) {
    restart("failed: " + t.getMessage());
  }

  private void onCompleted() {
    restart("was closed by etcd");
  }

  private void restart(String why) {
    if (closed) {
      return;
    }
    changed.run();
    Duration delay = backoff.afterFailure(++failures);
    LOG.warn("etcd watch on {} {}; re-creating it in {} ms", prefix, why, delay.toMillis());
    Watch.Watcher w = watcher;
    if (w != null) {
      w.close();
    }
    vertx.setTimer(
        Math.max(1, delay.toMillis()),
        id -> {
          if (!closed) {
            start();
            changed.run();
          }
        });
  }

  @Override
  public void close() {
    closed = true;
    Watch.Watcher w = watcher;
    if (w != null) {
      w.close();
    }
  }
}
