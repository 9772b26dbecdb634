package io.muster.backend.etcd;

import io.etcd.jetcd.Client;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.muster.spi.support.Backoff;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jetcd client's gRPC channel, watched. gRPC waits between reconnects 1 s, growing 1.6x up to 2
 * minutes, so after a 30 s outage it may try again only 10-20 s after etcd is back. While the
 * channel is in TRANSIENT_FAILURE this cuts that wait short every ~{@link #RECONNECT_EVERY} (a
 * refused connect costs etcd nothing), and runs the calls waiting for it the moment the channel is
 * READY again, so the agent re-registers within a second of etcd's return (issue 10). A call made
 * while it is down fails only after jetcd's own retries (up to 1.5 s), which would delay the first
 * call after etcd's return: such calls wait for the channel instead.
 *
 * <p>jetcd does not expose its channel: it is read once, by reflection, from jetcd 0.8's {@code
 * ClientImpl.connectionManager.getChannel()}. Where that fails, nothing is watched ({@link
 * #observed()} false) and callers keep their own backoff.
 */
final class EtcdChannel implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdChannel.class);

  static final Duration RECONNECT_EVERY = Duration.ofMillis(250);

  /**
   * While the channel is READY its changes are followed as they happen; the look is then only a
   * safety net, and four wake-ups a second of an idle agent are not worth it (issue 22).
   */
  static final Duration LOOK_WHILE_READY = Duration.ofSeconds(5);

  private final ManagedChannel channel;
  private final Vertx vertx;
  private final List<Runnable> waiting = new ArrayList<>();
  private ConnectivityState last = ConnectivityState.IDLE;
  private long reconnects;
  private boolean closed;
  private long timer = -1;
  private boolean slow;

  private EtcdChannel(ManagedChannel channel, Vertx vertx) {
    this.channel = channel;
    this.vertx = vertx;
  }

  /** Watches {@code client}'s channel on {@code vertx}; {@link #close} stops it. */
  static EtcdChannel watch(Client client, Vertx vertx) {
    ManagedChannel channel = find(client);
    EtcdChannel c = new EtcdChannel(channel, vertx);
    if (channel != null) {
      c.follow(channel.getState(false));
      c.tick();
    }
    return c;
  }

  private static ManagedChannel find(Client client) {
    try {
      var field = client.getClass().getDeclaredField("connectionManager");
      field.setAccessible(true);
      Object manager = field.get(client);
      var getChannel = manager.getClass().getDeclaredMethod("getChannel");
      getChannel.setAccessible(true);
      return (ManagedChannel) getChannel.invoke(manager);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn(
          "Cannot watch jetcd's gRPC channel ({}); after an etcd outage the agent reconnects on"
              + " gRPC's own schedule (up to 2 minutes between tries)",
          e.toString());
      return null;
    }
  }

  /** True when the channel is watched (else the other methods do nothing). */
  boolean observed() {
    return channel != null;
  }

  /** True when etcd can be called now: the channel is READY (or not watched). */
  boolean ready() {
    return channel == null || channel.getState(false) == ConnectivityState.READY;
  }

  /** How many times the channel became READY so far: a mark to take before a call. */
  synchronized long reconnects() {
    return reconnects;
  }

  /** Runs {@code call} now if the channel is READY (or not watched), else once it is READY. */
  void whenReady(Runnable call) {
    synchronized (this) {
      if (closed) {
        return;
      }
      if (!ready()) {
        waiting.add(call);
        return;
      }
    }
    call.run();
  }

  private void follow(ConnectivityState seen) {
    channel.notifyWhenStateChanged(
        seen,
        () -> {
          ConnectivityState now = channel.getState(false);
          observe(now);
          if (now != ConnectivityState.SHUTDOWN && !isClosed()) {
            follow(now);
            if (now != ConnectivityState.READY) {
              hurry();
            }
          }
        });
  }

  /**
   * Every ~250 ms while the channel is not READY: cut gRPC's reconnect backoff short while etcd
   * cannot be reached, and connect an idle channel (after etcd closed the connection gRPC waits for
   * a call to reconnect). While READY, every ~{@link #LOOK_WHILE_READY}: leaving READY is followed
   * as it happens ({@link #follow}) and brings the fast looks back at once.
   */
  private void tick() {
    ConnectivityState now;
    synchronized (this) {
      if (closed) {
        return;
      }
      // read under the lock: a hurry() that found this look already firing relies on it seeing
      // the state that made it hurry
      now = channel.getState(false);
      slow = now == ConnectivityState.READY;
      Duration every = slow ? LOOK_WHILE_READY : RECONNECT_EVERY;
      timer = vertx.setTimer(Backoff.jitter(every).toMillis(), id -> tick());
    }
    observe(now);
    if (now == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    } else if (now == ConnectivityState.IDLE) {
      channel.getState(true);
    }
  }

  private void observe(ConnectivityState now) {
    List<Runnable> run;
    synchronized (this) {
      boolean back = now == ConnectivityState.READY && last != ConnectivityState.READY;
      last = now;
      if (back) {
        reconnects++;
      }
      // Also when READY without a transition seen (a quick READY-down-READY between two looks):
      // a call queued meanwhile must not wait for the next outage.
      if (now != ConnectivityState.READY || waiting.isEmpty()) {
        return;
      }
      run = new ArrayList<>(waiting);
      waiting.clear();
    }
    LOG.debug("etcd: gRPC channel READY; {} waiting call(s) go now", run.size());
    run.forEach(Runnable::run);
  }

  /** The channel left READY: look every ~250 ms again from now, not after the slow look. */
  private void hurry() {
    synchronized (this) {
      if (closed || !slow || !vertx.cancelTimer(timer)) {
        return; // a fast look is due, or the slow one is firing and will see the new state
      }
    }
    tick();
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      waiting.clear();
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
  }
}
