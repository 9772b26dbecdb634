package io.muster.backend.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.agent.Agent;
import io.muster.formation.Decision;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import io.muster.testing.BackendUnderTest;
import io.muster.testing.BootTogether;
import io.muster.testing.TestAgents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Agents and the backend on the AWS emulator (see {@link AwsEmulator}). */
class AwsFormationIT {

  private static final Map<String, String> TAGS = Map.of("service", "rabbitmq", "env", "test");

  @TempDir Path dir;

  private static AwsEmulator fleet(int n) throws Exception {
    AwsEmulator aws = new AwsEmulator().start();
    for (int i = 1; i <= n; i++) {
      aws.instance(AwsAgents.instance(i, i % 2 == 0 ? "pending" : "running", TAGS));
    }
    aws.instance(AwsAgents.instance(7, "running", Map.of("service", "other"))); // wrong tag
    aws.instance(AwsAgents.instance(8, "stopped", TAGS)); // wrong state
    return aws;
  }

  private static final String BY_TAGS =
      "cluster_formation.aws.instance_tags.service = rabbitmq\n"
          + "cluster_formation.aws.instance_tags.env = test\n";

  @ParameterizedTest(name = "{0} agents by tags, jitter up to {1} ms")
  @CsvSource({"3, 0", "3, 300", "5, 0", "5, 500"})
  void exactlyOneSeedWhenAgentsFoundByTagsBootTogether(int n, int jitterMs) throws Exception {
    try (AwsEmulator aws = fleet(n);
        TestAgents agents = AwsAgents.of(aws, dir, BY_TAGS, i -> "")) {
      List<Agent> started = new ArrayList<>();
      List<Decision> decisions =
          BootTogether.boot(agents::start, n, jitterMs, "the AWS emulator (tags)", started);
      BootTogether.assertOneCluster(decisions);
    }
  }

  @Test
  void autoscalingGroupMembersFormOneClusterEvenWithATerminatedInstanceInTheGroup()
      throws Exception {
    try (AwsEmulator aws = fleet(3)) {
      List<String> members = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        members.add(AwsAgents.instanceId(i));
      }
      members.add(1, "i-0000000000000dead"); // terminated: EC2 no longer knows it
      aws.group("rabbitmq-asg", members);
      Map<Integer, String> imds = new HashMap<>();
      for (int i = 1; i <= 3; i++) {
        imds.put(i, aws.imdsFor(AwsAgents.instanceId(i)));
      }
      try (TestAgents agents =
          AwsAgents.of(
              aws,
              dir,
              "cluster_formation.aws.use_autoscaling_group = true\n",
              i -> "muster.aws.imds_endpoint = " + imds.get(i) + "\n")) {
        List<Agent> started = new ArrayList<>();
        BootTogether.assertOneCluster(
            BootTogether.boot(agents::start, 3, 0, "the AWS emulator (ASG)", started));
        assertThat(started.get(0).peers().snapshot().peers())
            .extracting(NodeName::toString)
            .containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2", "rabbit@127.0.0.3");
      }
    }
  }

  /**
   * Discovers twice in a row (the second must reuse the first answer) with the fixture's config,
   * {@code extra} overriding its lines, and the default min_poll_interval (30 s).
   */
  private DiscoveryResult discover(AwsEmulator aws, String extra) throws Exception {
    String conf =
        lastWins(AwsAgents.of(aws, dir, extra, i -> "").config(1), "muster.aws.min_poll_interval");
    DiscoveryResult[] first = new DiscoveryResult[1];
    BackendUnderTest.with(
        conf,
        b -> {
          first[0] = BackendUnderTest.discover(b, Duration.ofSeconds(60));
          DiscoveryResult second = BackendUnderTest.discover(b, Duration.ofSeconds(60));
          if (second instanceof DiscoveryResult.Peers p) {
            // served again, not a new read: it must say so (issue 18, defect 12)
            assertThat(p.repeated()).as("the second answer within the poll interval").isTrue();
            assertThat(p.nodes()).isEqualTo(((DiscoveryResult.Peers) first[0]).nodes());
          }
        });
    return first[0];
  }

  /** Config text where a key written again replaces the earlier line, without {@code drop}. */
  private static String lastWins(String text, String drop) {
    Map<String, String> lines = new java.util.LinkedHashMap<>();
    for (String line : text.split("\n")) {
      String key = line.split("=", 2)[0].trim();
      if (!key.isEmpty() && !key.equals(drop)) {
        lines.remove(key);
        lines.put(key, line);
      }
    }
    return String.join("\n", lines.values()) + "\n";
  }

  @Test
  void throttlingIsRetriedWithBackoffAndPagesAreFollowedAndAnswersReusedWithinThePollInterval()
      throws Exception {
    try (AwsEmulator aws = fleet(5)) {
      aws.throttleNext(2);
      DiscoveryResult r = discover(aws, BY_TAGS);
      assertThat(r).isInstanceOf(DiscoveryResult.Peers.class);
      assertThat(((DiscoveryResult.Peers) r).nodes())
          .extracting(NodeName::toString)
          .containsExactly(
              "rabbit@127.0.0.1",
              "rabbit@127.0.0.2",
              "rabbit@127.0.0.3",
              "rabbit@127.0.0.4",
              "rabbit@127.0.0.5");
      // 5 matches in pages of 2: 3 pages; the second discover within 30 s asks nothing.
      assertThat(aws.describeInstancesCalls()).isEqualTo(3);
    }
  }

  @Test
  void hostnamePathPicksAFieldOfTheInstanceDescription() throws Exception {
    try (AwsEmulator aws = fleet(1)) {
      DiscoveryResult r =
          discover(
              aws,
              BY_TAGS
                  + "cluster_formation.aws.use_private_ip = false\n"
                  + "cluster_formation.aws.hostname_path.1 = networkInterfaceSet\n"
                  + "cluster_formation.aws.hostname_path.2 = 1\n"
                  + "cluster_formation.aws.hostname_path.3 = association\n"
                  + "cluster_formation.aws.hostname_path.4 = publicDnsName\n");
      assertThat(((DiscoveryResult.Peers) r).nodes())
          .extracting(NodeName::toString)
          .containsExactly("rabbit@ec2-1.compute-1.amazonaws.com");
    }
  }

  @Test
  void theCoresProxySettingsCarryApiCallsButNeverInstanceMetadata() throws Exception {
    try (AwsEmulator aws = fleet(2)) {
      aws.group("g", List.of(AwsAgents.instanceId(1), AwsAgents.instanceId(2)));
      String imds = aws.imdsFor(AwsAgents.instanceId(1));
      // The API hosts do not resolve here: only the proxy (the emulator, in proxy form) can reach
      // them. Instance metadata is asked directly.
      String conf =
          "muster.node_name = rabbit@127.0.0.1\ncluster_formation.peer_discovery_backend = aws\n"
              + "cluster_formation.aws.region = us-east-1\n"
              + "cluster_formation.aws.access_key_id = AKIDEXAMPLE\n"
              + "cluster_formation.aws.secret_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
              + "cluster_formation.aws.use_private_ip = true\n"
              + "cluster_formation.aws.use_autoscaling_group = true\n"
              + "cluster_formation.proxy.http_proxy = "
              + aws.endpoint()
              + "\nmuster.aws.ec2_endpoint = http://ec2.proxied.invalid\n"
              + "muster.aws.autoscaling_endpoint = http://autoscaling.proxied.invalid\n"
              + "muster.aws.imds_endpoint = "
              + imds
              + "\n";
      DiscoveryResult r = BackendUnderTest.discoverOnce(conf, Duration.ofSeconds(30));
      assertThat(((DiscoveryResult.Peers) r).nodes())
          .extracting(NodeName::toString)
          .containsExactly("rabbit@127.0.0.1", "rabbit@127.0.0.2");
      assertThat(aws.proxiedCalls()).as("API calls through the proxy").isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void persistentThrottlingIsAFailureNotAnEmptyList() throws Exception {
    try (AwsEmulator aws = fleet(2)) {
      aws.throttleNext(100);
      DiscoveryResult r = discover(aws, BY_TAGS);
      assertThat(r)
          .isInstanceOfSatisfying(
              DiscoveryResult.Failure.class,
              f ->
                  assertThat(f.message())
                      .contains("RequestLimitExceeded")
                      .doesNotContain("wJalrXUtnFEMI"));
    }
  }
}
