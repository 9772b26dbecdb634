package io.muster.backend.consul;

import io.muster.spi.PeerWatch;
import io.muster.spi.support.Retry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the service's health with Consul blocking queries: {@code GET /v1/health/service/{svc}}
 * with the last {@code X-Consul-Index} and a wait, re-issued as soon as it returns (no polling). An
 * index that went backwards resets to 0, as Consul's documentation asks; failures back off with
 * jitter.
 */
final class HealthWatch implements PeerWatch.Subscription {

  private static final Logger LOG = LoggerFactory.getLogger(HealthWatch.class);
  private static final Duration WAIT = Duration.ofMinutes(5);

  private final ConsulHttp http;
  private final Vertx vertx;
  private final String path;
  private final Map<String, String> filter;
  private final Runnable changed;
  private final Retry retry;
  private volatile boolean closed;
  private long index;

  HealthWatch(
      ConsulHttp http, Vertx vertx, String path, Map<String, String> filter, Runnable changed) {
    this.http = http;
    this.vertx = vertx;
    this.path = path;
    this.filter = filter;
    this.changed = changed;
    this.retry = new Retry(vertx, Duration.ofSeconds(1));
  }

  HealthWatch start() {
    next();
    return this;
  }

  private void next() {
    if (closed) {
      return;
    }
    Map<String, String> q = new HashMap<>(filter);
    q.put("index", Long.toString(index));
    http.send(HttpMethod.GET, path, q, null, index == 0 ? null : WAIT)
        .whenComplete(
            (r, t) -> {
              if (closed) {
                return;
              }
              if (t == null && r.ok()) {
                retry.succeeded();
                long previous = index;
                index = r.index() < previous ? 0 : Math.max(1, r.index());
                if (index != previous) {
                  changed.run();
                }
                next();
                return;
              }
              Retry.Scheduled again = retry.failed(this::next);
              LOG.debug(
                  "consul: blocking query on {} failed ({}); again in {} ms",
                  path,
                  t != null ? t.getMessage() : "HTTP " + r.status(),
                  again.delay().toMillis());
              if (again.failure() == 1) {
                changed.run(); // let the core re-read and flag the list stale
              }
            });
  }

  @Override
  public void close() {
    closed = true;
  }
}
