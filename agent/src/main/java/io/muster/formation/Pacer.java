package io.muster.formation;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How the formation thread waits: bounded pauses that a wake-up (a watch event, complete, abort)
 * cuts short and a stop ends, and bounded waits for backend futures.
 */
final class Pacer {

  private final Object wake = new Object();
  private boolean wakeRequested;
  private volatile boolean stopping;

  boolean stopping() {
    return stopping;
  }

  void stop() {
    stopping = true;
    wakeUp();
  }

  void wakeUp() {
    synchronized (wake) {
      wakeRequested = true;
      wake.notifyAll();
    }
  }

  /** Sleeps, returning early when woken; throws {@link Stopped} when stopping. */
  void pause(Duration d) {
    long deadline = System.nanoTime() + d.toNanos();
    synchronized (wake) {
      while (!stopping && !wakeRequested) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(wake, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new Stopped();
        }
      }
      wakeRequested = false;
    }
    if (stopping) {
      throw new Stopped();
    }
  }

  /**
   * Waits for a backend future ({@code bound} null: as long as the backend's own bound, e.g. its
   * lock timeout); failures and time-outs become {@link BackendException}.
   */
  static <T> T await(CompletionStage<T> stage, Duration bound) {
    try {
      CompletableFuture<T> f = stage.toCompletableFuture();
      return bound == null ? f.get() : f.get(bound.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stopped();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new BackendException(
          cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage(),
          cause);
    } catch (TimeoutException e) {
      throw new BackendException("no answer within " + bound.toMillis() + " ms", e);
    }
  }

  /** A backend operation failed or timed out. */
  static final class BackendException extends RuntimeException {
    BackendException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The engine is stopping. */
  static final class Stopped extends RuntimeException {
    Stopped() {
      super("stopping", null, false, false);
    }
  }
}
