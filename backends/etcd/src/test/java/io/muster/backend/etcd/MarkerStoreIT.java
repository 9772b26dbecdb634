package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.KeyValue;
import io.muster.spi.FormationLock;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The formation marker's transactions on a real etcd: only ever our own marker is touched. */
class MarkerStoreIT {

  @RegisterExtension static final EtcdCluster ETCD = EtcdCluster.single();

  private static final NodeName A = NodeName.parse("rabbit@a");
  private static final NodeName B = NodeName.parse("rabbit@b");

  private static long lease() throws Exception {
    return ETCD.client().getLeaseClient().grant(60).get(5, TimeUnit.SECONDS).getID();
  }

  private static MarkerStore store(String cluster) {
    return new MarkerStore(ETCD.client().getKVClient(), new EtcdPaths("rabbitmq", cluster));
  }

  private static KeyValue stored(String cluster) throws Exception {
    var kvs =
        ETCD.client()
            .getKVClient()
            .get(EtcdPaths.bytes(new EtcdPaths("rabbitmq", cluster).markerKey()))
            .get(5, TimeUnit.SECONDS)
            .getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  @Test
  void theSameSeedCanWriteItsOwnFormingMarkerAgainButNobodyCanOverwriteAnother() throws Exception {
    MarkerStore a = store("again");
    Marker.Forming forming = new Marker.Forming(A, "c1");
    get(a.markForming(forming, lease()));
    long second = lease();
    get(a.markForming(forming, second)); // after an abort whose clear failed
    assertThat(stored("again").getLease()).isEqualTo(second);
    assertThatThrownBy(() -> get(store("again").markForming(new Marker.Forming(B, "c2"), lease())))
        .hasMessageContaining("another formation marker is in place")
        .hasMessageContaining("seed rabbit@a");
    assertThat(get(a.read())).isEqualTo(forming);
  }

  @Test
  void reattachMovesAStillPresentMarkerToTheNewLeaseButNeverPutsBackOneThatWent() throws Exception {
    MarkerStore a = store("moves");
    long first = lease();
    get(a.markForming(new Marker.Forming(A, "c1"), first));
    long second = lease();
    get(a.reattach(second));
    assertThat(stored("moves").getLease()).isEqualTo(second);

    ETCD.client()
        .getLeaseClient()
        .revoke(second)
        .get(5, TimeUnit.SECONDS); // the marker went with it
    assertThat(stored("moves")).isNull();
    get(a.reattach(lease()));
    // after such a gap another agent may have seeded: the claim is over (formation.md inv. 9)
    assertThat(stored("moves")).as("a marker that went is not put back").isNull();
  }

  @Test
  void aClaimIsHeldOnlyWhileItsMarkerIsUnbrokenOnTheRenewedLease() throws Exception {
    MarkerStore a = store("confirm");
    Marker.Forming claim = new Marker.Forming(A, "c1");
    long l = lease();
    get(a.markForming(claim, l));
    FormationLock.ClaimState held = get(a.confirm(ETCD.client().getLeaseClient(), l, claim));
    assertThat(held.held()).isTrue();
    assertThat(held.ttl()).isPositive();

    // deleted and written again with the very same value and lease: not the unbroken claim
    String key = new EtcdPaths("rabbitmq", "confirm").markerKey();
    ETCD.client().getKVClient().delete(EtcdPaths.bytes(key)).get(5, TimeUnit.SECONDS);
    ETCD.client()
        .getKVClient()
        .put(
            EtcdPaths.bytes(key),
            EtcdPaths.bytes(claim.toJson()),
            io.etcd.jetcd.options.PutOption.builder().withLeaseId(l).build())
        .get(5, TimeUnit.SECONDS);
    assertThat(get(a.confirm(ETCD.client().getLeaseClient(), l, claim)).held()).isFalse();

    // a lease that expired: no time left, not held
    MarkerStore b = store("expired");
    long gone = lease();
    get(b.markForming(claim, gone));
    ETCD.client().getLeaseClient().revoke(gone).get(5, TimeUnit.SECONDS);
    FormationLock.ClaimState lapsed = get(b.confirm(ETCD.client().getLeaseClient(), gone, claim));
    assertThat(lapsed.held()).isFalse();
    assertThat(lapsed.ttl()).isZero();
    assertThat(lapsed.current()).isEqualTo(new Marker.None());
  }

  @Test
  void aFormingMarkerOnThisAgentsOwnLeaseMayBeReplacedWithANewClusterId() throws Exception {
    MarkerStore a = store("own");
    long l = lease();
    get(a.markForming(new Marker.Forming(A, "c1"), l));
    get(store("own").markForming(new Marker.Forming(A, "c2"), l)); // e.g. after a restart
    assertThat(get(a.read())).isEqualTo(new Marker.Forming(A, "c2"));
    assertThatThrownBy(() -> get(store("own").markForming(new Marker.Forming(B, "c3"), lease())))
        .hasMessageContaining("another formation marker is in place");
  }

  @Test
  void reattachLeavesAnotherAgentsMarkerAloneAndStopsClaimingOurs() throws Exception {
    MarkerStore a = store("taken");
    long first = lease();
    get(a.markForming(new Marker.Forming(A, "c1"), first));
    ETCD.client().getLeaseClient().revoke(first).get(5, TimeUnit.SECONDS);
    MarkerStore b = store("taken");
    get(b.markForming(new Marker.Forming(B, "c2"), lease()));
    get(a.reattach(lease()));
    assertThat(get(a.read())).isEqualTo(new Marker.Forming(B, "c2"));
    get(a.clearForming());
    assertThat(get(b.read())).isEqualTo(new Marker.Forming(B, "c2"));
  }

  @Test
  void formedReplacesOurFormingMarkerWithoutALease() throws Exception {
    MarkerStore a = store("formed");
    get(a.markForming(new Marker.Forming(A, "c1"), lease()));
    Marker.Formed formed = new Marker.Formed(A, "c1", Instant.parse("2026-11-22T00:00:00Z"));
    get(a.markFormed(formed));
    assertThat(stored("formed").getLease()).isZero();
    assertThat(get(a.read())).isEqualTo(formed);
    get(a.markFormed(formed)); // idempotent
    assertThatThrownBy(
            () ->
                get(
                    store("formed")
                        .markFormed(
                            new Marker.Formed(B, "c9", Instant.parse("2026-11-22T00:00:00Z")))))
        .hasMessageContaining("could not write the formed marker");
  }

  @Test
  void aRetiredClusterIsNeverReassertedAndOnlyItsOwnMarkerIsRetired() throws Exception {
    MarkerStore a = store("retire");
    get(a.markForming(new Marker.Forming(A, "c1"), lease()));
    assertThatThrownBy(() -> get(a.retire("c1", "{}"))).hasMessageContaining("is forming");
    Marker.Formed formed = new Marker.Formed(A, "c1", Instant.parse("2026-11-22T00:00:00Z"));
    get(a.markFormed(formed));
    assertThatThrownBy(() -> get(a.retire("c9", "{}"))).hasMessageContaining("names cluster c1");
    assertThat(get(a.read())).isEqualTo(formed);

    assertThat(get(a.retire("c1", "{\"by\":\"ops\"}"))).isEqualTo(formed);
    assertThat(get(a.read())).isEqualTo(new Marker.None());
    String retired = new EtcdPaths("rabbitmq", "retire").retiredKey("c1");
    assertThat(
            EtcdPaths.text(
                ETCD.client()
                    .getKVClient()
                    .get(EtcdPaths.bytes(retired))
                    .get(5, TimeUnit.SECONDS)
                    .getKvs()
                    .get(0)
                    .getValue()))
        .contains("ops");
    // a member wrongly taken for lost cannot put the retired cluster back
    assertThat(get(store("retire").reassertFormed(formed))).isEqualTo(new Marker.None());
    // another cluster's formed marker can be written there again
    Marker.Formed next = new Marker.Formed(B, "c2", Instant.parse("2026-11-23T00:00:00Z"));
    assertThat(get(store("retire").reassertFormed(next))).isEqualTo(next);
  }
}
