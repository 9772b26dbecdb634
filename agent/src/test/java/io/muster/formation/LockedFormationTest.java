package io.muster.formation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.AgentConfig;
import io.muster.config.CoreSettings;
import io.muster.formation.engine.FormationEngine;
import io.muster.formation.engine.LocalNode;
import io.muster.metrics.AgentMetrics;
import io.muster.spi.Backend;
import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.muster.spi.Registration;
import io.muster.testing.Timing;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's lock path (formation.md, lock backends) against an in-process lock store. This
 * exercises the engine's marker protocol only; the real etcd and Consul locks are tested against
 * real servers in their modules.
 */
class LockedFormationTest {

  @TempDir Path dir;
  private final List<FormationEngine> engines = new ArrayList<>();

  /** A shared store: one lock, one marker, registrations in registration order. */
  static final class Store {
    final Semaphore lock = new Semaphore(1, true);
    final AtomicInteger holders = new AtomicInteger();
    final AtomicInteger maxHolders = new AtomicInteger();
    Marker marker = new Marker.None();
    final Set<NodeName> registered = new LinkedHashSet<>();
    final Map<NodeName, String> members = new java.util.HashMap<>();

    /** When set, discovery fails its future with this (a backend that throws, not answers). */
    volatile Throwable failDiscovery;
  }

  static final class InProcessBackend implements Backend, Registration, FormationLock {
    private final Store store;
    private final NodeName self;

    InProcessBackend(Store store, NodeName self) {
      this.store = store;
      this.self = self;
    }

    @Override
    public CompletionStage<DiscoveryResult> discover(Duration timeout) {
      if (store.failDiscovery != null) {
        return CompletableFuture.failedFuture(store.failDiscovery);
      }
      synchronized (store) {
        Map<NodeName, String> claims = new java.util.HashMap<>(store.members);
        claims.keySet().retainAll(store.registered);
        return CompletableFuture.completedFuture(
            new DiscoveryResult.Peers(new ArrayList<>(store.registered), List.of(), claims));
      }
    }

    @Override
    public CompletionStage<Void> register() {
      synchronized (store) {
        store.registered.add(self);
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void markMember(String clusterId) {
      synchronized (store) {
        store.members.put(self, clusterId);
      }
    }

    @Override
    public CompletionStage<Void> unregister() {
      synchronized (store) {
        store.registered.remove(self);
        // The forming marker lives under this agent's lease, which unregistering revokes.
        if (store.marker instanceof Marker.Forming f && f.seed().equals(self)) {
          store.marker = new Marker.None();
        }
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public String describeRegistration() {
      return "in-process registration of " + self;
    }

    @Override
    public CompletionStage<LockOutcome> acquire() {
      return CompletableFuture.supplyAsync(
          () -> {
            try {
              if (!store.lock.tryAcquire(10, TimeUnit.SECONDS)) {
                return new LockOutcome.NotAcquired("timed out");
              }
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
            int now = store.holders.incrementAndGet();
            store.maxHolders.accumulateAndGet(now, Math::max);
            return new LockOutcome.Acquired(
                () -> {
                  store.holders.decrementAndGet();
                  store.lock.release();
                  return CompletableFuture.completedFuture(null);
                });
          });
    }

    @Override
    public CompletionStage<Marker> readMarker() {
      synchronized (store) {
        return CompletableFuture.completedFuture(store.marker);
      }
    }

    @Override
    public CompletionStage<Void> markForming(Marker.Forming marker) {
      synchronized (store) {
        store.marker = marker;
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> markFormed(Marker.Formed marker) {
      synchronized (store) {
        store.marker = marker;
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Marker> reassertFormed(Marker.Formed marker) {
      synchronized (store) {
        if (store.marker instanceof Marker.None
            || (store.marker instanceof Marker.Forming f
                && f.clusterId().equals(marker.clusterId()))) {
          store.marker = marker;
        }
        return CompletableFuture.completedFuture(store.marker);
      }
    }

    @Override
    public CompletionStage<ClaimState> confirmClaim(Marker.Forming claim) {
      synchronized (store) {
        // no lease in this store: a claim lives while its marker is there
        return CompletableFuture.completedFuture(
            new ClaimState(store.marker, store.marker.equals(claim), Duration.ofSeconds(30)));
      }
    }

    @Override
    public CompletionStage<Void> clearForming() {
      synchronized (store) {
        if (store.marker instanceof Marker.Forming f && f.seed().equals(self)) {
          store.marker = new Marker.None();
        }
      }
      return CompletableFuture.completedFuture(null);
    }
  }

  private FormationEngine engine(Store store, int host) {
    return engine(store, host, dir.resolve("n" + host + "-" + engines.size()));
  }

  private FormationEngine engine(Store store, int host, java.nio.file.Path dataDir) {
    return engine(store, host, dataDir, new PeerView(Clock.systemUTC()));
  }

  private FormationEngine engine(Store store, int host, java.nio.file.Path dataDir, PeerView view) {
    NodeName node = NodeName.parse("rabbit@10.0.0." + host);
    CoreSettings core =
        AgentConfig.fromText(
                "t.conf",
                "muster.node_name = "
                    + node
                    + "\nmuster.data_dir = "
                    + dataDir
                    + "\ncluster_formation.discovery_retry_interval = 20\nmuster.discovery.poll_interval = 100ms\n",
                Map.of())
            .core();
    Clock clock = Clock.systemUTC();
    FormationEngine e =
        new FormationEngine(
            core,
            new InProcessBackend(store, node),
            new LocalNode(node, clock),
            view,
            null,
            new MembershipStore(core.dataDir()),
            new AgentMetrics(),
            clock);
    engines.add(e);
    return e;
  }

  /**
   * Issue 21: a backend whose discovery future fails (rather than answering a Failure) kept only
   * its message; the driver flattened the kind to OTHER. It now keeps the failure's kind.
   */
  @Test
  void aDiscoveryThatFailsItsFutureKeepsItsKind() throws Exception {
    Store store = new Store();
    store.failDiscovery =
        new java.util.concurrent.CompletionException(
            new BackendFailure(DiscoveryResult.Kind.AUTH, "etcd: authentication failed"));
    PeerView view = new PeerView(Clock.systemUTC());
    engine(store, 1, dir.resolve("failing"), view).start();
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(10)))
        .until(() -> view.snapshot().lastError() != null);
    assertThat(view.snapshot().lastError()).isEqualTo("auth: etcd: authentication failed");
  }

  @AfterEach
  void stop() {
    engines.forEach(FormationEngine::stop);
  }

  @Test
  void exactlyOneSeedWhenSevenAgentsRaceForTheLock() throws Exception {
    for (int trial = 0; trial < 20; trial++) {
      Store store = new Store();
      List<FormationEngine> racing = new ArrayList<>();
      for (int h = 1; h <= 7; h++) {
        racing.add(engine(store, h));
      }
      racing.parallelStream()
          .forEach(
              e -> {
                try {
                  TimeUnit.MILLISECONDS.sleep(ThreadLocalRandom.current().nextInt(20));
                } catch (InterruptedException ex) {
                  throw new IllegalStateException(ex);
                }
                e.start();
              });
      List<Decision> decisions = new ArrayList<>();
      for (FormationEngine e : racing) {
        decisions.add(e.decision().get(30, TimeUnit.SECONDS));
      }
      List<Decision> seeds = decisions.stream().filter(d -> d instanceof Decision.Seed).toList();
      assertThat(seeds).hasSize(1);
      for (Decision d : decisions) {
        assertThat(d.clusterId()).isEqualTo(seeds.get(0).clusterId());
        assertThat(d.seed()).isEqualTo(seeds.get(0).seed());
      }
      assertThat(store.maxHolders.get()).as("lock never held by two").isEqualTo(1);
      racing.forEach(FormationEngine::stop);
    }
  }

  @Test
  void nodeBootingAfterFormationNeverSeedsEvenWhenEveryRegistrationLapsed() throws Exception {
    Store store = new Store();
    java.nio.file.Path seedDir = dir.resolve("seed");
    FormationEngine seed = engine(store, 1, seedDir);
    seed.start();
    assertThat(seed.decision().get(30, TimeUnit.SECONDS)).isInstanceOf(Decision.Seed.class);
    seed.complete();
    assertThat(store.marker).isInstanceOf(Marker.Formed.class);
    seed.stop();
    assertThat(store.registered).isEmpty();

    FormationEngine late = engine(store, 2);
    late.start();
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(
            () ->
                late.waitingFor() != null && late.waitingFor().contains("never seeding it again"));
    assertThat(late.decision()).isNotDone();

    // another blank node registering is no member to join: both wait (formation.md step 5)
    FormationEngine blank = engine(store, 3);
    blank.start();
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> blank.waitingFor() != null && blank.waitingFor().contains("not its members"));
    assertThat(late.decision()).isNotDone();

    // the member comes back from its record; its registration says whose member it is
    FormationEngine returning = engine(store, 1, seedDir);
    returning.start();
    Decision d = late.decision().get(30, TimeUnit.SECONDS);
    assertThat(d).isInstanceOf(Decision.Join.class);
    assertThat(d.seed()).isEqualTo(NodeName.parse("rabbit@10.0.0.1"));
    assertThat(blank.decision().get(30, TimeUnit.SECONDS).seed())
        .isEqualTo(NodeName.parse("rabbit@10.0.0.1"));
  }

  @Test
  void seedThatAbortsClearsItsFormingMarkerAndDecidesAFreshCluster() throws Exception {
    Store store = new Store();
    FormationEngine first = engine(store, 1);
    first.start();
    Decision d = first.decision().get(30, TimeUnit.SECONDS);
    assertThat(d).isInstanceOf(Decision.Seed.class);
    assertThat(store.marker).isInstanceOf(Marker.Forming.class);
    first.abort();
    // Had the marker survived, the engine would read its own forming marker and reuse its id.
    Decision again = first.decision().get(30, TimeUnit.SECONDS);
    assertThat(again).isInstanceOf(Decision.Seed.class);
    assertThat(again.clusterId()).isNotEqualTo(d.clusterId());
  }

  @Test
  void seedWhoseAgentStopsBeforeCompletingLeavesNoMarkerSoTheNextLockHolderSeeds()
      throws Exception {
    Store store = new Store();
    FormationEngine first = engine(store, 1);
    first.start();
    assertThat(first.decision().get(30, TimeUnit.SECONDS)).isInstanceOf(Decision.Seed.class);
    first.stop();
    assertThat(store.marker).isInstanceOf(Marker.None.class);

    FormationEngine next = engine(store, 2);
    next.start();
    assertThat(next.decision().get(30, TimeUnit.SECONDS)).isInstanceOf(Decision.Seed.class);
  }
}
