package io.muster.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Watches a formation lock's keys in etcd's revision order and records every moment at which more
 * than one agent had named itself holder (an agent writes its node name into its lock key only
 * after the Lock RPC granted it, and the key goes on release).
 */
final class LockObserver implements AutoCloseable {

  private final Watch.Watcher watcher;
  private final Set<String> holders = new HashSet<>();
  private final List<String> overlaps = new ArrayList<>();
  private final List<String> grants = new ArrayList<>();

  LockObserver(Client client, String lockName) {
    ByteSequence prefix = ByteSequence.from(lockName + "/", StandardCharsets.UTF_8);
    watcher =
        client
            .getWatchClient()
            .watch(prefix, WatchOption.builder().isPrefix(true).build(), this::onEvents);
  }

  private synchronized void onEvents(io.etcd.jetcd.watch.WatchResponse r) {
    for (WatchEvent e : r.getEvents()) {
      String key = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
      String value = e.getKeyValue().getValue().toString(StandardCharsets.UTF_8);
      if (e.getEventType() == WatchEvent.EventType.DELETE) {
        holders.remove(key);
      } else if (!value.isEmpty()) {
        holders.add(key);
        grants.add(value);
        if (holders.size() > 1) {
          overlaps.add("at revision " + e.getKeyValue().getModRevision() + ": " + holders);
        }
      }
    }
  }

  synchronized List<String> overlaps() {
    return List.copyOf(overlaps);
  }

  synchronized List<String> grants() {
    return List.copyOf(grants);
  }

  @Override
  public void close() {
    watcher.close();
  }
}
