package io.muster.formation;

import io.muster.spi.NodeName;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The published peer list: sorted, deduplicated, flagged stale when the latest discovery failed or
 * came back empty after a good one (the last good list is kept), with an index that grows on every
 * change so clients can block until something changes.
 */
public final class PeerView {

  /** One immutable state of the view. */
  public record Snapshot(
      List<NodeName> peers,
      List<NodeName> backendOrder,
      boolean stale,
      long index,
      boolean everSucceeded,
      Instant lastSuccessAt,
      String lastError,
      Instant lastErrorAt) {}

  private final Clock clock;
  private Snapshot current;
  private final List<Waiter> waiters = new ArrayList<>();

  private record Waiter(long afterIndex, Consumer<Snapshot> callback) {}

  public PeerView(Clock clock) {
    this.clock = clock;
    this.current = new Snapshot(List.of(), List.of(), false, 1, false, null, null, null);
  }

  public synchronized Snapshot snapshot() {
    return current;
  }

  /**
   * A successful discovery. An empty list after a good one is not trusted: the last good list is
   * kept, flagged stale.
   */
  public void success(List<NodeName> backendOrder) {
    List<NodeName> sorted = new ArrayList<>(new TreeSet<>(backendOrder));
    List<NodeName> ordered = backendOrder.stream().distinct().toList();
    Snapshot s = current();
    if (sorted.isEmpty() && s.everSucceeded() && !s.peers().isEmpty()) {
      failure("backend returned no nodes after a non-empty list; keeping the last good list");
      return;
    }
    Instant now = clock.instant();
    update(
        old ->
            old.peers().equals(sorted) && !old.stale() && old.everSucceeded()
                ? new Snapshot(
                    old.peers(),
                    ordered,
                    false,
                    old.index(),
                    true,
                    now,
                    old.lastError(),
                    old.lastErrorAt())
                : new Snapshot(
                    sorted,
                    ordered,
                    false,
                    old.index() + 1,
                    true,
                    now,
                    old.lastError(),
                    old.lastErrorAt()));
  }

  /** A failed discovery: the last good list stays, flagged stale. */
  public void failure(String error) {
    Instant now = clock.instant();
    update(
        old ->
            new Snapshot(
                old.peers(),
                old.backendOrder(),
                true,
                old.stale() ? old.index() : old.index() + 1,
                old.everSucceeded(),
                old.lastSuccessAt(),
                error,
                now));
  }

  private synchronized Snapshot current() {
    return current;
  }

  private void update(java.util.function.UnaryOperator<Snapshot> change) {
    List<Waiter> ready = new ArrayList<>();
    Snapshot now;
    synchronized (this) {
      current = change.apply(current);
      now = current;
      waiters.removeIf(
          w -> {
            if (now.index() > w.afterIndex()) {
              ready.add(w);
              return true;
            }
            return false;
          });
    }
    ready.forEach(w -> w.callback().accept(now));
  }

  /**
   * Calls {@code callback} once the index is greater than {@code afterIndex} (at once if it already
   * is). Returns a handle that cancels the wait.
   */
  public Runnable onChange(long afterIndex, Consumer<Snapshot> callback) {
    Snapshot now;
    Waiter w = new Waiter(afterIndex, callback);
    synchronized (this) {
      now = current;
      if (now.index() <= afterIndex) {
        waiters.add(w);
        return () -> {
          synchronized (this) {
            waiters.remove(w);
          }
        };
      }
    }
    callback.accept(now);
    return () -> {};
  }
}
