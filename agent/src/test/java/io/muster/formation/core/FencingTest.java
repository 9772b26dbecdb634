package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.Decision;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FormationLock.ClaimState;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.muster.testing.Cores;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Fencing of a seed's claim and joiners' evidence (formation.md invariant 9), event by event: a
 * seed acts only while it can prove its claim, withdraws past its own deadline or when the claim is
 * gone, and decides again (with a new cluster id) once its node acknowledged; a joiner completes
 * only into the formed marker of its cluster, with its node listing a member of it.
 */
class FencingTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName SELF = NodeName.parse("rabbit@10.0.0.1");
  private static final NodeName OTHER = NodeName.parse("rabbit@10.0.0.2");
  private static final Duration TTL = Duration.ofSeconds(30);

  private final FormationCore core =
      Cores.core(
          "etcd", new Capabilities(Capabilities.Mode.LOCK, true, true, Optional.empty()), SELF, T0);

  private List<Effect> at(long ms, Event e) {
    return core.handle(T0.plusMillis(ms), e);
  }

  private static <T extends Effect> Optional<T> find(List<Effect> effects, Class<T> type) {
    return effects.stream().filter(type::isInstance).map(type::cast).findFirst();
  }

  private static Event peers(NodeName... nodes) {
    return new Event.Discovered(new DiscoveryResult.Peers(List.of(nodes)));
  }

  /** Drives the core to a published seed decision; returns the claim it confirmed. */
  private Marker.Forming seed() {
    at(0, new Event.Start(Optional.empty()));
    at(10, new Event.Registered("lease"));
    at(20, peers(SELF));
    at(30, new Event.LockAcquired());
    at(40, new Event.MarkerRead(new Marker.None()));
    Marker.Forming claim =
        find(at(50, peers(SELF)), Effect.WriteForming.class).orElseThrow().marker();
    assertThat(find(at(60, new Event.FormingWritten()), Effect.ConfirmClaim.class)).isPresent();
    List<Effect> confirmed =
        at(80, new Event.ClaimChecked(new ClaimState(claim, true, TTL))); // sent at 60
    assertThat(find(confirmed, Effect.ReleaseLock.class)).isPresent();
    assertThat(find(at(90, new Event.LockReleased(Optional.empty())), Effect.Publish.class))
        .hasValueSatisfying(p -> assertThat(p.decision()).isInstanceOf(Decision.Seed.class));
    // the run phase's first read; then the loop pauses until the next confirmation is due
    assertThat(find(at(100, peers(SELF)), Effect.ArmTimer.class)).isPresent();
    return claim;
  }

  @Test
  void aSeedCutOffFromTheStoreWithdrawsBeforeItsLeaseCanLapse() {
    seed();
    // the claim was proven by a renewal sent at 60 ms with a TTL of 30 s: the store cannot give it
    // to anyone before 30.06 s; the seed's own deadline is a margin before that
    Duration margin = TTL.dividedBy(4).plusMillis(2 * 20);
    Instant deadline = T0.plusMillis(60).plus(TTL).minus(margin);
    assertThat(core.status().markerState()).contains("claim proven until " + deadline);
    // every confirmation after that fails (a partition): no extension
    assertThat(find(at(2_100, new Event.TimerFired(1)), Effect.ConfirmClaim.class)).isPresent();
    at(3_600, new Event.ClaimCheckFailed("no answer within 1500 ms"));
    assertThat(core.status().phase()).isEqualTo(Phase.DECIDED);
    List<Effect> fired = core.handle(deadline, new Event.TimerFired(-1));
    Effect.Withdraw w = find(fired, Effect.Withdraw.class).orElseThrow();
    assertThat(w.reason()).contains("could not prove its claim in time");
    assertThat(fired).anyMatch(Effect.Retract.class::isInstance);
    assertThat(core.status().phase()).isEqualTo(Phase.WITHDRAWN);
    assertThat(deadline).isBefore(T0.plusMillis(60).plus(TTL));
  }

  @Test
  void aPausedSeedWithdrawsOnResumeBeforeItCompletes() {
    seed();
    // the agent was paused for 40 s: the first event it handles after the pause is its node's
    // completion, which must not write formed (another agent may hold the claim by now)
    List<Effect> resumed = at(40_000, new Event.CompleteRequested(1));
    assertThat(find(resumed, Effect.Withdraw.class)).isPresent();
    assertThat(find(resumed, Effect.WriteFormed.class)).isEmpty();
    assertThat(find(resumed, Effect.Refuse.class))
        .hasValueSatisfying(r -> assertThat(r.reason()).contains("withdrawn"));
  }

  @Test
  void aSeedWhoseClaimIsGoneWithdrawsAtOnce() {
    seed();
    assertThat(find(at(2_100, new Event.TimerFired(1)), Effect.ConfirmClaim.class)).isPresent();
    Marker other = new Marker.Forming(OTHER, "c-other");
    List<Effect> lost = at(2_120, new Event.ClaimChecked(new ClaimState(other, false, TTL)));
    assertThat(find(lost, Effect.Withdraw.class))
        .hasValueSatisfying(w -> assertThat(w.reason()).contains("forming by " + OTHER));
  }

  @Test
  void aWithdrawnSeedDecidesAgainOnlyAfterItsNodeAbortsAndNeverReusesItsClusterId() {
    Marker.Forming first = seed();
    at(40_000, new Event.TimerFired(-1));
    assertThat(core.status().phase()).isEqualTo(Phase.WITHDRAWN);
    // the loop goes on keeping the peer list fresh, but takes no new decision by itself
    List<Effect> meanwhile = at(40_100, peers(SELF));
    assertThat(find(meanwhile, Effect.AcquireLock.class)).isEmpty();
    List<Effect> ack = at(41_000, new Event.AbortRequested(2));
    assertThat(find(ack, Effect.ClearForming.class)).isPresent();
    at(41_010, new Event.FormingCleared(2, Optional.empty()));
    // deciding again: the marker still holds the old claim (bound to this agent's lease)
    at(41_020, peers(SELF));
    at(41_030, new Event.LockAcquired());
    at(41_040, new Event.MarkerRead(first));
    Marker.Forming again =
        find(at(41_050, peers(SELF)), Effect.WriteForming.class).orElseThrow().marker();
    assertThat(again.seed()).isEqualTo(SELF);
    assertThat(again.clusterId()).isNotEqualTo(first.clusterId());
  }

  private void join(Marker marker) {
    at(0, new Event.Start(Optional.empty()));
    at(10, new Event.Registered("lease"));
    at(20, peers(OTHER, SELF));
    at(30, new Event.LockAcquired());
    at(40, new Event.MarkerRead(marker));
    at(50, peers(OTHER, SELF));
    assertThat(find(at(60, new Event.LockReleased(Optional.empty())), Effect.Publish.class))
        .hasValueSatisfying(p -> assertThat(p.decision()).isInstanceOf(Decision.Join.class));
  }

  @Test
  void aJoinerCompletesOnlyOnceTheFormedMarkerNamesItsCluster() {
    join(new Marker.Forming(OTHER, "c1"));
    assertThat(find(at(1_000, new Event.CompleteRequested(1)), Effect.VerifyJoin.class))
        .isPresent();
    List<Effect> early =
        at(1_010, new Event.JoinChecked(1, Optional.of(new Marker.Forming(OTHER, "c1")), null));
    assertThat(find(early, Effect.Refuse.class))
        .hasValueSatisfying(r -> assertThat(r.reason()).contains("has not completed"));
    assertThat(find(early, Effect.WriteMembership.class)).isEmpty();
    at(2_000, new Event.CompleteRequested(2));
    List<Effect> formed =
        at(2_010, new Event.JoinChecked(2, Optional.of(new Marker.Formed(OTHER, "c1", T0)), null));
    assertThat(find(formed, Effect.WriteMembership.class))
        .hasValueSatisfying(w -> assertThat(w.membership().clusterId()).isEqualTo("c1"));
  }

  @Test
  void aJoinerWhoseClusterIsNotTheStoresWithdraws() {
    join(new Marker.Forming(OTHER, "c1"));
    at(1_000, new Event.CompleteRequested(1));
    List<Effect> other =
        at(
            1_010,
            new Event.JoinChecked(
                1,
                Optional.of(new Marker.Formed(NodeName.parse("rabbit@10.0.0.3"), "c2", T0)),
                null));
    assertThat(find(other, Effect.WriteMembership.class)).isEmpty();
    assertThat(find(other, Effect.Withdraw.class))
        .hasValueSatisfying(w -> assertThat(w.reason()).contains("not cluster c1"));
  }

  @Test
  void aJoinerWhoseNodeListsNoneOfItsClusterWithdraws() {
    join(new Marker.Forming(OTHER, "c1"));
    // RabbitMQ gave up joining and booted alone: its cluster_status lists only itself
    List<Effect> alone = at(1_000, new Event.CompleteRequested(1, Optional.of(Set.of(SELF))));
    assertThat(find(alone, Effect.Withdraw.class))
        .hasValueSatisfying(w -> assertThat(w.reason()).contains("none of [" + OTHER + "]"));
    assertThat(find(alone, Effect.VerifyJoin.class)).isEmpty();
  }

  /**
   * Issue 20: a node of RabbitMQ's own etcd plugin registers only after its cluster runs, and
   * writes no marker. Under the lock with no marker, its registration is a cluster to join, never
   * one to seed beside; the joiner completes without a marker (its node's members prove the join)
   * and then writes the formed marker for it, so later agents find it as any formed cluster.
   */
  @Test
  void aJoinerOfAClusterRabbitMqsPluginStartedCompletesAndThenWritesItsMarker() {
    Event plugin =
        new Event.Discovered(
            new DiscoveryResult.Peers(
                List.of(OTHER, SELF),
                List.of(),
                java.util.Map.of(OTHER, io.muster.spi.Registration.PLUGIN_CLUSTER)));
    at(0, new Event.Start(Optional.empty()));
    at(10, new Event.Registered("lease"));
    at(20, plugin);
    at(30, new Event.LockAcquired());
    at(40, new Event.MarkerRead(new Marker.None()));
    assertThat(find(at(50, plugin), Effect.WriteForming.class)).as("never seeds").isEmpty();
    Decision d =
        find(at(60, new Event.LockReleased(Optional.empty())), Effect.Publish.class)
            .orElseThrow()
            .decision();
    assertThat(d).isInstanceOf(Decision.Join.class);
    assertThat(d.seed()).isEqualTo(OTHER);
    assertThat(d.clusterId()).isEqualTo(io.muster.spi.Registration.PLUGIN_CLUSTER);
    assertThat(
            find(
                at(1_000, new Event.CompleteRequested(1, Optional.of(Set.of(SELF, OTHER)))),
                Effect.VerifyJoin.class))
        .isPresent();
    List<Effect> done = at(1_010, new Event.JoinChecked(1, Optional.of(new Marker.None()), null));
    assertThat(find(done, Effect.WriteMembership.class))
        .hasValueSatisfying(
            w ->
                assertThat(w.membership().clusterId())
                    .isEqualTo(io.muster.spi.Registration.PLUGIN_CLUSTER));
    List<Effect> next = at(1_030, plugin);
    assertThat(find(next, Effect.ReassertFormed.class))
        .hasValueSatisfying(
            r -> {
              assertThat(r.marker().seed()).isEqualTo(OTHER);
              assertThat(r.marker().clusterId())
                  .isEqualTo(io.muster.spi.Registration.PLUGIN_CLUSTER);
            });
  }
}
