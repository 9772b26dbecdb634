package io.muster.backend.etcd;

import static io.muster.backend.etcd.EtcdPaths.bytes;
import static io.muster.backend.etcd.EtcdPaths.text;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.muster.spi.Backend;
import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.muster.spi.PeerWatch;
import io.muster.spi.Registration;
import io.muster.spi.support.PeerList;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd backend: presence key under a kept-alive lease ({@link NodeRegistration}), the formation
 * lock ({@link EtcdLock}), the cluster marker ({@link MarkerStore}) and a prefix watch ({@link
 * PeerWatcher}), over one jetcd client on the agent's Vert.x.
 */
final class EtcdBackend implements Backend, Registration, FormationLock, PeerWatch {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdBackend.class);

  private final EtcdSettings settings;
  private final EtcdPaths paths;
  private final Client client;
  private final ExecutorService executor;
  private final EtcdErrors errors;
  private final NodeRegistration registration;
  private final EtcdLock lock;
  private final MarkerStore markers;
  private final Vertx vertx;
  private final EtcdChannel channel;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  EtcdBackend(EtcdSettings settings, NodeName self, String instanceId, Vertx vertx) {
    this.settings = settings;
    this.vertx = vertx;
    this.paths = new EtcdPaths(settings.keyPrefix(), settings.clusterName());
    this.errors = new EtcdErrors(settings);
    this.executor = EtcdClients.executor();
    this.client = EtcdClients.create(settings, vertx, executor);
    this.channel = EtcdChannel.watch(client, vertx);
    this.markers = new MarkerStore(client.getKVClient(), paths);
    this.registration =
        new NodeRegistration(
            client,
            vertx,
            paths,
            self,
            instanceId,
            settings.nodeTtl(),
            errors,
            this::notifyListeners,
            markers::reattach,
            channel);
    this.lock =
        new EtcdLock(client, paths, self, settings.nodeTtl(), settings.lockTimeout(), errors);
    LOG.info(
        "etcd backend: endpoints {} (tls {}{}), keys {}*, lock {}, node_ttl {} s, lock_timeout {}"
            + " s",
        settings.endpointList(),
        settings.tls(),
        settings.username().map(u -> ", user " + u).orElse(""),
        paths.nodesPrefix(),
        paths.lockName(),
        settings.nodeTtl().toSeconds(),
        settings.lockTimeout().toSeconds());
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    LOG.debug("etcd: range {} sorted by create_revision", paths.nodesPrefix());
    return client
        .getKVClient()
        .get(
            bytes(paths.nodesPrefix()),
            GetOption.builder()
                .isPrefix(true)
                .withSortField(GetOption.SortTarget.CREATE)
                .withSortOrder(GetOption.SortOrder.ASCEND)
                .build())
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (r, t) -> {
              if (t != null) {
                return errors.failure("reading " + paths.nodesPrefix(), t).asResult();
              }
              PeerList peers = new PeerList("");
              for (KeyValue kv : r.getKvs()) {
                String name = text(kv.getKey()).substring(paths.nodesPrefix().length());
                peers
                    .name(name)
                    .ifPresent(
                        n ->
                            NodeRegistration.clusterIdOf(text(kv.getValue()))
                                .ifPresent(c -> peers.claim(n, c)));
              }
              return peers.peers();
            });
  }

  @Override
  public CompletionStage<Void> register() {
    return registration.register();
  }

  @Override
  public CompletionStage<Void> unregister() {
    // Stopping: also give up any lock attempt in flight (formation.md: release anything held).
    return lock.revokeAll().thenCompose(x -> registration.unregister());
  }

  @Override
  public Optional<Duration> registrationTtl() {
    return Optional.of(settings.nodeTtl());
  }

  @Override
  public String describeRegistration() {
    return registration.describe() + " at " + settings.endpointList();
  }

  @Override
  public CompletionStage<LockOutcome> acquire() {
    return lock.acquire();
  }

  @Override
  public CompletionStage<Marker> retire(String clusterId, String audit) {
    return guard("retiring cluster " + clusterId, markers.retire(clusterId, audit));
  }

  @Override
  public CompletionStage<Marker> readMarker() {
    return guard("reading the formation marker", markers.read());
  }

  @Override
  public CompletionStage<Void> markForming(Marker.Forming marker) {
    long lease = registration.leaseId();
    if (lease == 0) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("not registered: no lease to bind the forming marker to"));
    }
    return guard("writing the forming marker", markers.markForming(marker, lease));
  }

  @Override
  public CompletionStage<ClaimState> confirmClaim(Marker.Forming claim) {
    return guard(
        "confirming the forming claim",
        markers.confirm(client.getLeaseClient(), registration.leaseId(), claim));
  }

  @Override
  public CompletionStage<Void> markFormed(Marker.Formed marker) {
    return guard("writing the formed marker", markers.markFormed(marker));
  }

  @Override
  public CompletionStage<Marker> reassertFormed(Marker.Formed marker) {
    // a restore may also bring back an older value of this node's own key (no cluster id) under
    // its still live lease: nothing re-registers then, so the re-assertion checks it too
    return guard(
        "re-asserting the formed marker",
        markers
            .reassertFormed(marker)
            .thenCompose(m -> registration.ensureMember().thenApply(x -> m)));
  }

  @Override
  public void markMember(String clusterId) {
    registration.markMember(clusterId);
  }

  @Override
  public CompletionStage<Void> clearForming() {
    return guard("clearing the forming marker", markers.clearForming());
  }

  @Override
  public Subscription watchPeers(Runnable changed) {
    listeners.add(changed);
    PeerWatcher w =
        new PeerWatcher(
                client.getWatchClient(),
                vertx,
                paths.nodesPrefix(),
                registration.key(),
                this::notifyListeners,
                registration::keyDeleted,
                registration::verifyKey)
            .start();
    return () -> {
      listeners.remove(changed);
      w.close();
    };
  }

  private void notifyListeners() {
    listeners.forEach(Runnable::run);
  }

  private <T> CompletableFuture<T> guard(String what, CompletableFuture<T> f) {
    return f.handle(
            (v, t) -> {
              if (t == null) {
                return CompletableFuture.completedFuture(v);
              }
              Throwable c = BackendFailure.unwrap(t);
              // Our own state errors are already operator-readable; wrap transport errors.
              RuntimeException e =
                  c instanceof IllegalStateException ise ? ise : errors.failure(what, c);
              return CompletableFuture.<T>failedFuture(e);
            })
        .thenCompose(Function.identity());
  }

  @Override
  public void close() {
    // Not client.close(): jetcd would also close the Vert.x it was given, which is the agent's.
    // Closing the parts stops keepalives, watches and pending calls; the channel ends with Vert.x.
    channel.close();
    client.getWatchClient().close();
    client.getLeaseClient().close();
    client.getLockClient().close();
    client.getKVClient().close();
    executor.shutdownNow();
  }
}
