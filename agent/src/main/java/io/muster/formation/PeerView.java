package io.muster.formation;

import io.muster.spi.NodeName;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The published peer list: sorted, deduplicated, flagged stale when the latest discovery failed or
 * came back empty after a good one (the last good list is kept), with an index that grows on every
 * change so clients can block until something changes.
 */
public final class PeerView {

  /**
   * One immutable state of the view, with its pure transitions (the formation core computes them
   * with the time passed in; this class only publishes them and wakes waiters).
   */
  public record Snapshot(
      List<NodeName> peers,
      List<NodeName> backendOrder,
      boolean stale,
      long index,
      boolean everSucceeded,
      Instant lastSuccessAt,
      String lastError,
      Instant lastErrorAt) {

    /** Before the first discovery. */
    public static Snapshot initial() {
      return new Snapshot(List.of(), List.of(), false, 1, false, null, null, null);
    }

    /**
     * After a successful discovery at {@code now}; the last error is cleared. An empty list after a
     * good one is not trusted: the last good list is kept, flagged stale.
     */
    public Snapshot afterSuccess(List<NodeName> reported, Instant now) {
      List<NodeName> sorted = new ArrayList<>(new TreeSet<>(reported));
      List<NodeName> ordered = reported.stream().distinct().toList();
      if (sorted.isEmpty() && everSucceeded && !peers.isEmpty()) {
        return afterFailure(
            "backend returned no nodes after a non-empty list; keeping the last good list", now);
      }
      boolean same = peers.equals(sorted) && !stale && everSucceeded;
      return new Snapshot(
          same ? peers : sorted,
          ordered,
          false,
          same ? index : index + 1,
          true,
          now,
          null, // the latest read worked: an older error no longer describes the list
          null);
    }

    /** After a failed discovery at {@code now}: the last good list stays, flagged stale. */
    public Snapshot afterFailure(String error, Instant now) {
      return new Snapshot(
          peers,
          backendOrder,
          true,
          stale ? index : index + 1,
          everSucceeded,
          lastSuccessAt,
          error,
          now);
    }
  }

  private final Clock clock;
  private Snapshot current;
  private final List<Waiter> waiters = new ArrayList<>();

  private record Waiter(long afterIndex, Consumer<Snapshot> callback) {}

  public PeerView(Clock clock) {
    this.clock = clock;
    this.current = Snapshot.initial();
  }

  public synchronized Snapshot snapshot() {
    return current;
  }

  /**
   * A successful discovery. An empty list after a good one is not trusted: the last good list is
   * kept, flagged stale.
   */
  public void success(List<NodeName> backendOrder) {
    Instant now = clock.instant();
    update(old -> old.afterSuccess(backendOrder, now));
  }

  /** A failed discovery: the last good list stays, flagged stale. */
  public void failure(String error) {
    Instant now = clock.instant();
    update(old -> old.afterFailure(error, now));
  }

  /** Publishes a state the formation core computed. */
  public void publish(Snapshot next) {
    update(old -> next);
  }

  private void update(UnaryOperator<Snapshot> change) {
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
