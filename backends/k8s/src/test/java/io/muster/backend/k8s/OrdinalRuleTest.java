package io.muster.backend.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.spi.InvalidSettingException;
import io.muster.spi.NodeName;
import org.junit.jupiter.api.Test;

class OrdinalRuleTest {

  @Test
  void theSeedIsTheSameStatefulSetAtTheSeedOrdinalKeepingTheDomain() {
    assertThat(K8sBackend.ordinalSeed(NodeName.parse("rabbit@rmq-server-2.rmq-nodes.ns"), 0))
        .isEqualTo(NodeName.parse("rabbit@rmq-server-0.rmq-nodes.ns"));
    assertThat(K8sBackend.ordinalSeed(NodeName.parse("rabbit@rmq-7"), 5))
        .isEqualTo(NodeName.parse("rabbit@rmq-5"));
  }

  @Test
  void aHostWithoutAnOrdinalIsAConfigErrorNamingTheKey() {
    assertThatThrownBy(() -> K8sBackend.ordinalSeed(NodeName.parse("rabbit@broker"), 0))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("muster.k8s.ordinal_rule")
        .hasMessageContaining("<statefulset>-<ordinal>");
  }
}
