package io.muster.agent;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * The agent's Vert.x, sized for a sidecar: a handful of connections (the node, a few peers, one
 * backend) need neither an event loop per core times two nor twenty worker threads, and every
 * thread is memory the broker beside it does not get. Blocking work (engine calls, file renders)
 * runs on the small worker pool.
 */
public final class SidecarVertx {

  /** Event loops: two, so one slow handler cannot hold up the health port. */
  static final int EVENT_LOOPS = 2;

  /** Worker threads: engine calls block on the backend at most one per request. */
  static final int WORKERS = 4;

  private SidecarVertx() {}

  public static Vertx create() {
    return Vertx.vertx(
        new VertxOptions()
            .setEventLoopPoolSize(EVENT_LOOPS)
            .setWorkerPoolSize(WORKERS)
            .setInternalBlockingPoolSize(WORKERS));
  }
}
