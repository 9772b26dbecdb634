package io.muster.formation.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Issue 19: status and problem texts count right and never say "waiting for waiting for". */
class StatusTextTest {

  @Test
  void attemptsLeftAgreesInNumber() {
    assertThat(FormationStatus.attemptsLeft(0)).isEqualTo("no attempts left");
    assertThat(FormationStatus.attemptsLeft(-1)).isEqualTo("no attempts left");
    assertThat(FormationStatus.attemptsLeft(1)).isEqualTo("1 attempt left");
    assertThat(FormationStatus.attemptsLeft(7)).isEqualTo("7 attempts left");
  }

  @Test
  void aReasonThatAlreadyWaitsIsNotPrefixedAgain() {
    assertThat(FormationStatus.waitingFor("waiting for 1 of 2 known peers to answer"))
        .isEqualTo("waiting for 1 of 2 known peers to answer");
    assertThat(FormationStatus.waitingFor("discovery: timeout"))
        .isEqualTo("waiting for discovery: timeout");
    assertThat(FormationStatus.waitingFor(null)).isEqualTo("waiting");
  }
}
