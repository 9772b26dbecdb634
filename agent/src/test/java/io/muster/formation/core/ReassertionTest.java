package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.config.CoreSettings.OnExhausted;
import io.muster.formation.Membership;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The formation core's re-assertion of the formed marker (formation.md v2 step 5), event by event.
 */
class ReassertionTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeName SELF = NodeName.parse("rabbit@10.0.0.1");
  private static final Duration INTERVAL = Duration.ofSeconds(2);

  private static FormationCore lockCore() {
    return core("etcd", new Capabilities(Capabilities.Mode.LOCK, true, true, Optional.empty()));
  }

  private static FormationCore core(String backend, Capabilities caps) {
    return new FormationCore(
        new CoreTuning(
            backend,
            10,
            Duration.ofMillis(500),
            1,
            Duration.ofSeconds(1),
            OnExhausted.WAIT,
            Duration.ofSeconds(30),
            INTERVAL,
            Duration.ofSeconds(2)),
        caps,
        new NodeRecord(SELF, T0),
        new SplittableRandom(1),
        CoreLog.NONE);
  }

  private static Optional<Effect.ReassertFormed> reassertion(List<Effect> effects) {
    return effects.stream()
        .filter(Effect.ReassertFormed.class::isInstance)
        .map(Effect.ReassertFormed.class::cast)
        .findFirst();
  }

  private static Optional<Effect.ArmTimer> timer(List<Effect> effects) {
    return effects.stream()
        .filter(Effect.ArmTimer.class::isInstance)
        .map(Effect.ArmTimer.class::cast)
        .findFirst();
  }

  @Test
  void aRejoinedMemberReassertsOnceRegisteredThenEveryIntervalAndAtOnceOnAWake() {
    FormationCore core = lockCore();
    Membership record = new Membership(SELF, "c1", Set.of(SELF), T0);
    core.handle(T0, new Event.Start(Optional.of(record)));
    List<Effect> afterRegistered = core.handle(T0.plusMillis(10), new Event.Registered("lease"));
    Effect.ReassertFormed r = reassertion(afterRegistered).orElseThrow();
    assertThat(r.marker().clusterId()).isEqualTo("c1");
    assertThat(r.marker().formedAt()).isEqualTo(T0);

    Instant t = T0.plusMillis(20);
    List<Effect> afterAnswer = core.handle(t, new Event.FormedReasserted(r.marker()));
    assertThat(reassertion(afterAnswer)).isEmpty();
    assertThat(afterAnswer).contains(new Effect.Discover());
    assertThat(core.status().markerState()).isEqualTo("formed, cluster c1");

    // with a working watch the loop would sleep 5 minutes; re-assertion caps it at the interval
    List<Effect> afterDiscovery =
        core.handle(
            t.plusMillis(5),
            new Event.Discovered(new io.muster.spi.DiscoveryResult.Peers(List.of(SELF))));
    assertThat(timer(afterDiscovery).orElseThrow().delay()).isLessThanOrEqualTo(INTERVAL);

    // a wake-up (re-registration after a lost lease, a watch event) re-asserts at once
    List<Effect> afterWake = core.handle(t.plusMillis(100), new Event.Wake());
    assertThat(reassertion(afterWake)).isPresent();
  }

  /**
   * Issue 22: with a watch, every re-assertion also re-read the whole peer list, so an idle etcd
   * agent did a full read every 2 s for nothing (about half its idle CPU). Now a re-assertion reads
   * the list only when a read is due: a wake-up (a watch event), or the safety re-read.
   */
  @Test
  void aReassertionReadsThePeerListOnlyWhenAReadIsDue() {
    FormationCore core = lockCore();
    core.handle(T0, new Event.Start(Optional.of(new Membership(SELF, "c1", Set.of(SELF), T0))));
    Effect.ReassertFormed r =
        reassertion(core.handle(T0.plusMillis(10), new Event.Registered("lease"))).orElseThrow();
    assertThat(core.handle(T0.plusMillis(20), new Event.FormedReasserted(r.marker())))
        .as("the first read")
        .contains(new Effect.Discover());
    Instant t = T0.plusMillis(30);
    List<Effect> afterRead =
        core.handle(
            t, new Event.Discovered(new io.muster.spi.DiscoveryResult.Peers(List.of(SELF))));
    Effect.ArmTimer pause = timer(afterRead).orElseThrow();

    for (int round = 1; round <= 3; round++) {
      t = t.plus(pause.delay());
      List<Effect> fired = core.handle(t, new Event.TimerFired(pause.timer()));
      Effect.ReassertFormed again = reassertion(fired).orElseThrow();
      List<Effect> answered =
          core.handle(t.plusMillis(5), new Event.FormedReasserted(again.marker()));
      assertThat(answered).as("round %d", round).doesNotContain(new Effect.Discover());
      pause = timer(answered).orElseThrow();
      assertThat(pause.delay()).isLessThanOrEqualTo(INTERVAL);
      t = t.plusMillis(5);
    }

    // a watch event: the marker is checked and the list read at once
    Effect.ReassertFormed woken =
        reassertion(core.handle(t.plusMillis(100), new Event.Wake())).orElseThrow();
    assertThat(core.handle(t.plusMillis(105), new Event.FormedReasserted(woken.marker())))
        .contains(new Effect.Discover());
  }

  @Test
  void anotherClustersFormedMarkerIsReportedAndNeverOverwritten() {
    FormationCore core = lockCore();
    core.handle(T0, new Event.Start(Optional.of(new Membership(SELF, "c1", Set.of(SELF), T0))));
    core.handle(T0.plusMillis(10), new Event.Registered("lease"));
    Marker other = new Marker.Formed(NodeName.parse("rabbit@10.0.0.9"), "c2", T0);
    List<Effect> effects = core.handle(T0.plusMillis(20), new Event.FormedReasserted(other));
    assertThat(effects).noneMatch(e -> e instanceof Effect.WriteFormed);
    assertThat(core.status().markerState()).contains("ANOTHER cluster c2");
  }

  @Test
  void aRecordWrittenForAnotherNodeNeverPutsItsClusterIntoTheStore() {
    FormationCore core = lockCore();
    Membership foreign =
        new Membership(NodeName.parse("rabbit@10.9.9.9"), "foreign", Set.of(SELF), T0);
    core.handle(T0, new Event.Start(Optional.of(foreign)));
    List<Effect> effects = core.handle(T0.plusMillis(10), new Event.Registered("lease"));
    assertThat(reassertion(effects)).isEmpty();
    assertThat(reassertion(core.handle(T0.plusMillis(20), new Event.Wake()))).isEmpty();
  }

  @Test
  void locklessCoresNeverReassert() {
    FormationCore core =
        core(
            "dns",
            new Capabilities(Capabilities.Mode.CONTACT_POINTS, false, false, Optional.empty()));
    List<Effect> effects =
        core.handle(T0, new Event.Start(Optional.of(new Membership(SELF, "c1", Set.of(SELF), T0))));
    assertThat(reassertion(effects)).isEmpty();
    assertThat(reassertion(core.handle(T0.plusMillis(5), new Event.Wake()))).isEmpty();
  }
}
