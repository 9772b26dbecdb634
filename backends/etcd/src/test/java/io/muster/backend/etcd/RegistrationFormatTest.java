package io.muster.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The registration's value across releases (formation.md: formats are versioned and adjacent
 * releases read each other): the previous release wrote no format and no instance id, RabbitMQ's
 * own plugin writes other JSON; this release writes {@code "format": 1} with its instance id.
 */
class RegistrationFormatTest {

  private static final String PREVIOUS =
      "{\"node\":\"rabbit@a\",\"agent\":\"muster\",\"registered_at\":\"2026-01-01T00:00:00Z\","
          + "\"cluster_id\":\"c1\"}";
  private static final String CURRENT =
      "{\"node\":\"rabbit@a\",\"agent\":\"muster\",\"instance\":\"0f3c7a1e-1111-2222-3333-444455556666\","
          + "\"registered_at\":\"2026-01-01T00:00:00Z\",\"cluster_id\":\"c1\",\"format\":1}";

  /** What RabbitMQ 3.10's etcd plugin writes (read off a 3.10.8 node's key). */
  private static final String RABBITMQ_PLUGIN =
      "{\"lease_id\":2493483731623204614,\"node\":\"rabbit@a\",\"ttl\":61}";

  @Test
  void theClusterIdIsReadFromThePreviousAndTheCurrentFormat() {
    assertThat(NodeRegistration.clusterIdOf(PREVIOUS)).contains("c1");
    assertThat(NodeRegistration.clusterIdOf(CURRENT)).contains("c1");
    // a plugin node registers once its cluster runs: it claims the plugin's cluster (issue 20)
    assertThat(NodeRegistration.clusterIdOf(RABBITMQ_PLUGIN))
        .contains(io.muster.spi.Registration.PLUGIN_CLUSTER);
    assertThat(NodeRegistration.clusterIdOf("{\"agent\":\"muster\",\"node\":\"rabbit@a\"}"))
        .as("an agent of ours that has not completed claims nothing")
        .isEmpty();
    assertThat(NodeRegistration.clusterIdOf("not json")).isEmpty();
  }

  @Test
  void onlyTheCurrentFormatNamesAnInstanceSoAnOlderKeyIsWaitedOutNeverTakenOver() {
    assertThat(NodeRegistration.instanceOf(CURRENT))
        .isEqualTo("0f3c7a1e-1111-2222-3333-444455556666");
    assertThat(NodeRegistration.instanceOf(PREVIOUS)).isNull();
    assertThat(NodeRegistration.instanceOf(RABBITMQ_PLUGIN)).isNull();
  }
}
