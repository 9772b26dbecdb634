package io.muster.backend.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.agent.AgentConfig;
import io.muster.config.ConfigException;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AwsSettingsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private static AgentConfig load(String lines) {
    return AgentConfig.fromText(
        "aws.conf",
        "muster.node_name = rabbit@ip-10-0-0-1.ec2.internal\n"
            + "cluster_formation.peer_discovery_backend = aws\n"
            + lines,
        Map.of());
  }

  @Test
  void defaultsAreRunningAndPendingInstancesAndAThirtySecondFloorOnApiCalls() {
    AwsSettings s =
        AwsSettings.from(load("cluster_formation.aws.instance_tags.service = rabbitmq\n").config());
    assertThat(s.states()).containsExactly("running", "pending");
    assertThat(s.minPollInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.tags()).containsEntry("service", "rabbitmq");
    assertThat(s.useAutoscalingGroup()).isFalse();
    assertThat(s.region()).isEmpty();
    assertThat(s.hostnamePath()).isEqualTo(List.of());
  }

  @Test
  void neitherTagsNorAGroupIsRefusedRatherThanTakingTheWholeRegion() {
    AgentConfig c = load("");
    assertThatThrownBy(() -> c.createBackend(vertx))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cluster_formation.aws.instance_tags");
  }

  @Test
  void aRegionOfTenThousandDashedWordsIsABadValueNotACrash() {
    String region = "us" + "-a".repeat(10_000) + "-1";
    assertThatThrownBy(() -> load("cluster_formation.aws.region = " + region + "\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("aws.conf:3")
        .hasMessageContaining("an AWS region such as us-east-1");
  }

  @Test
  void halfACredentialAndABadRegionExitWithTheKeyAndNeverTheSecret() {
    AgentConfig c =
        load(
            "cluster_formation.aws.use_autoscaling_group = true\n"
                + "cluster_formation.aws.secret_key = wJalrXUtnFEMI-secret\n");
    assertThatThrownBy(() -> c.createBackend(vertx))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cluster_formation.aws.secret_key")
        .hasMessageNotContaining("wJalrXUtnFEMI-secret");
    assertThatThrownBy(() -> load("cluster_formation.aws.region = mars-1\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("aws.conf:3");
    assertThat(
            AwsSettings.from(
                    load("cluster_formation.aws.use_autoscaling_group = true\n"
                            + "cluster_formation.aws.access_key_id = AKID\n"
                            + "cluster_formation.aws.secret_key = wJalrXUtnFEMI-secret\n")
                        .config())
                .toString())
        .doesNotContain("wJalrXUtnFEMI-secret");
  }
}
