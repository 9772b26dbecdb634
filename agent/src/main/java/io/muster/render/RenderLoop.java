package io.muster.render;

import io.muster.formation.Decision;
import io.muster.formation.PeerView;
import io.muster.formation.engine.LocalNode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-renders the files when the peer list or the decision changes, with quiescence: a burst of
 * changes renders once, after {@code muster.render.wait} without a change (at most 4x that after
 * the first). Runs on its own thread, so a slow reload command never delays formation.
 */
public final class RenderLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RenderLoop.class);

  private final FileRenderer renderer;
  private final PeerView view;
  private final LocalNode local;
  private final Duration wait;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long changes;
  private volatile boolean closed;
  private Thread thread;
  private Runnable cancelWatch = () -> {};

  public RenderLoop(FileRenderer renderer, PeerView view, LocalNode local, Duration wait) {
    this.renderer = renderer;
    this.view = view;
    this.local = local;
    this.wait = wait;
  }

  public synchronized void start() {
    if (!renderer.enabled() || thread != null) {
      return;
    }
    thread = new Thread(this::run, "muster-render");
    thread.setDaemon(true);
    thread.start();
  }

  /** Renders now, without quiescence (before {@code muster exec} starts its child). */
  /** Told each file whose content a render changed. */
  public void onWritten(java.util.function.Consumer<java.nio.file.Path> listener) {
    renderer.onWritten(listener);
  }

  public boolean renderNow() {
    return !renderer.enabled() || renderer.render(view.snapshot(), local.decision());
  }

  /** True when the files hold what the node needs for {@code d} (see FileRenderer#readyFor). */
  public boolean renderedFor(Decision d) {
    return !renderer.enabled() || renderer.readyFor(d);
  }

  /** Something changed (the decision; peer changes are watched directly). */
  public void signal() {
    lock.lock();
    try {
      changes++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** A one-shot view callback, re-armed from itself so every change of a burst is seen. */
  private void watchFrom(long index) {
    if (closed) {
      return;
    }
    cancelWatch =
        view.onChange(
            index,
            s -> {
              signal();
              watchFrom(s.index());
            });
  }

  /** Told each render's outcome (true: written and its command ran), for the metrics. */
  private volatile Consumer<Boolean> outcomes = ok -> {};

  public void onOutcome(Consumer<Boolean> outcomes) {
    this.outcomes = outcomes;
  }

  private void run() {
    long renderedIndex = -1;
    Decision renderedDecision = null;
    long seen = 0;
    watchFrom(view.snapshot().index());
    while (!closed) {
      try {
        seen = awaitChange(seen, Duration.ofSeconds(1));
        PeerView.Snapshot s = view.snapshot();
        Decision d = local.decision();
        if (s.index() == renderedIndex && d == renderedDecision) {
          continue;
        }
        seen = quiesce(seen);
        if (closed) {
          return; // stopping: no render (nor its command) after close
        }
        s = view.snapshot();
        d = local.decision();
        outcomes.accept(renderer.render(s, d));
        renderedIndex = s.index();
        renderedDecision = d;
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.error("Rendering failed: {}; trying again on the next change", e.toString(), e);
      }
    }
  }

  /** Waits until the change count moves past {@code seen}, or {@code max} passes. */
  private long awaitChange(long seen, Duration max) throws InterruptedException {
    lock.lock();
    try {
      long deadline = System.nanoTime() + max.toNanos();
      while (changes == seen && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        changed.awaitNanos(left);
      }
      return changes;
    } finally {
      lock.unlock();
    }
  }

  /** Returns once no change came for {@code wait}, or 4x {@code wait} after the first. */
  private long quiesce(long seen) throws InterruptedException {
    if (wait.isZero()) {
      return seen;
    }
    long hardStop = System.nanoTime() + wait.toNanos() * 4;
    while (System.nanoTime() < hardStop) {
      long before = seen;
      Duration left = Duration.ofNanos(Math.min(wait.toNanos(), hardStop - System.nanoTime()));
      lock.lock();
      try {
        long until = System.nanoTime() + left.toNanos();
        while (!closed && System.nanoTime() < until) {
          changed.awaitNanos(until - System.nanoTime());
        }
        seen = changes;
      } finally {
        lock.unlock();
      }
      if (seen == before) {
        return seen;
      }
    }
    return seen;
  }

  @Override
  public void close() {
    closed = true;
    cancelWatch.run();
    signal();
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      try {
        // A render in progress finishes its write (an interrupt would close the file's channel
        // mid-write); only a long render command is interrupted, after two seconds.
        t.join(TimeUnit.SECONDS.toMillis(2));
        if (t.isAlive()) {
          t.interrupt();
          t.join(TimeUnit.SECONDS.toMillis(5));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
