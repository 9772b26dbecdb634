package io.muster.backend.aws;

import io.muster.testing.TestAgents;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Agents on the AWS backend for tests: node {@code rabbit@127.0.0.I} is instance {@code i-I} with
 * private IP 127.0.0.I; every agent serves its peer port on its own address and asks the emulator.
 */
final class AwsAgents {

  private AwsAgents() {}

  static String instanceId(int i) {
    return String.format("i-%017x", i);
  }

  static AwsEmulator.Inst instance(int i, String state, Map<String, String> tags) {
    return new AwsEmulator.Inst(
        instanceId(i),
        state,
        "127.0.0." + i,
        "ip-127-0-0-" + i + ".ec2.internal",
        "ec2-" + i + ".compute-1.amazonaws.com",
        tags);
  }

  /**
   * @param perNode extra config lines for node i (e.g. its IMDS endpoint)
   */
  static TestAgents of(AwsEmulator aws, Path dir, String extra, IntFunction<String> perNode) {
    return of(aws, dir, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", extra, perNode);
  }

  /** As {@link #of(AwsEmulator, Path, String, IntFunction)}, with these static keys. */
  static TestAgents of(
      AwsEmulator aws,
      Path dir,
      String accessKeyId,
      String secretKey,
      String extra,
      IntFunction<String> perNode) {
    return TestAgents.lockless(
        dir,
        i -> "rabbit@127.0.0." + i,
        "aws",
        i ->
            "cluster_formation.aws.region = us-east-1\n"
                + "cluster_formation.aws.access_key_id = "
                + accessKeyId
                + "\ncluster_formation.aws.secret_key = "
                + secretKey
                + "\n"
                + "cluster_formation.aws.use_private_ip = true\n"
                + "muster.aws.min_poll_interval = 200ms\n"
                + "muster.aws.ec2_endpoint = "
                + aws.endpoint()
                + "\nmuster.aws.autoscaling_endpoint = "
                + aws.asgEndpoint()
                + "\n"
                + extra
                + perNode.apply(i));
  }
}
