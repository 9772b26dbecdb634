package io.muster.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import org.junit.jupiter.api.Test;

class PeerListTest {

  @Test
  void keepsTheBackendsOrderDropsDuplicatesAndRejectsWhatIsNotANodeName() {
    PeerList list = new PeerList("rabbit");
    assertThat(list.host("10.0.0.2")).contains(NodeName.parse("rabbit@10.0.0.2"));
    list.host("10.0.0.1");
    list.host("10.0.0.2");
    assertThat(list.name("rabbit@evil;rm -rf /")).isEmpty();
    assertThat(list.host("[fd00::1]")).isPresent();
    list.drop("10.0.0.9 (pod rabbitmq-8): terminating");
    list.claim(NodeName.parse("rabbit@10.0.0.1"), "c1");
    DiscoveryResult.Peers p = list.peers();
    assertThat(p.nodes())
        .extracting(NodeName::toString)
        .containsExactly("rabbit@10.0.0.2", "rabbit@10.0.0.1", "rabbit@[fd00::1]");
    assertThat(p.rejected()).containsExactly("rabbit@evil;rm -rf /");
    assertThat(p.dropped()).containsExactly("10.0.0.9 (pod rabbitmq-8): terminating");
    assertThat(p.members()).containsEntry(NodeName.parse("rabbit@10.0.0.1"), "c1");
    assertThat(list.leftOut())
        .isEqualTo(
            " (dropped: [10.0.0.9 (pod rabbitmq-8): terminating]) (rejected: [rabbit@evil;rm -rf /])");
  }

  @Test
  void isEmptyUntilAValidNameArrives() {
    PeerList list = new PeerList("rabbit");
    list.host("bad host");
    assertThat(list.isEmpty()).isTrue();
    list.host("good-host");
    assertThat(list.isEmpty()).isFalse();
  }
}
