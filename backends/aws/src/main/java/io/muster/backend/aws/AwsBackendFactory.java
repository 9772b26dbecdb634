package io.muster.backend.aws;

import io.muster.spi.Backend;
import io.muster.spi.BackendContext;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.support.DeclaredFactory;
import io.muster.spi.support.KeySet;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code aws}: peers are EC2 instances with given tags, or the members of this instance's
 * autoscaling group. Lockless: parallel boots are resolved by the contact-point rule. The AWS SDK
 * clients are created only when this backend is selected.
 */
public final class AwsBackendFactory extends DeclaredFactory {

  /** Every key below, in declaration order: what keys() returns. */
  private static final KeySet DECLARED = new KeySet();

  private static final String P = "cluster_formation.aws.";

  static final KeyType<URI> ENDPOINT =
      KeyType.httpUrl(
          "URL (http[s]://host[:port])", "a URL such as https://ec2.us-east-1.amazonaws.com");

  static final Key<String> REGION =
      DECLARED.add(
          Key.scalar(
              P + "region",
              KeyType.of(
                  "AWS region",
                  raw -> {
                    // Length first: the repeated group recurses per word, so a huge value would
                    // overflow the stack instead of being refused (region names are under 20
                    // chars).
                    if (raw.length() > 32 || !raw.matches("[a-z]{2}(-[a-z]+)+-\\d")) {
                      throw new IllegalArgumentException("an AWS region such as us-east-1");
                    }
                    return raw;
                  }),
              null,
              "Region; else AWS_REGION / AWS_DEFAULT_REGION, else instance metadata, else us-east-1"));
  static final Key<String> ACCESS_KEY_ID =
      DECLARED.add(
          Key.scalar(
              P + "access_key_id",
              KeyType.STRING,
              null,
              "Access key (with secret_key); else the SDK's default chain (env, profile, instance role)"));
  static final Key<String> SECRET_KEY =
      DECLARED.add(
          Key.scalar(P + "secret_key", KeyType.STRING, null, "Secret key (with access_key_id)")
              .secret());
  static final Key<Map<String, String>> INSTANCE_TAGS =
      DECLARED.add(
          Key.map(
              P + "instance_tags",
              KeyType.STRING,
              "Peers are instances with all these tags: instance_tags.KEY = VALUE"));
  static final Key<Boolean> USE_ASG =
      DECLARED.add(
          Key.scalar(
              P + "use_autoscaling_group",
              KeyType.BOOLEAN,
              false,
              "Peers are the members of this instance's autoscaling group (instance id from IMDSv2)"));
  static final Key<Boolean> USE_PRIVATE_IP =
      DECLARED.add(
          Key.scalar(
              P + "use_private_ip",
              KeyType.BOOLEAN,
              false,
              "Name nodes by private IP address instead of private DNS name"));
  static final Key<List<String>> HOSTNAME_PATH =
      DECLARED.add(
          Key.list(
              P + "hostname_path",
              KeyType.STRING,
              "Path to the host name in the instance description, e.g. networkInterfaceSet, 2,"
                  + " association, publicDnsName (list indexes from 1)"));
  static final Key<List<String>> INSTANCE_STATES =
      DECLARED.add(
          Key.list(
                  "muster.aws.instance_states",
                  KeyType.oneOf("pending", "running", "shutting-down", "stopping", "stopped"),
                  "Instance states counted as peers")
              .withDefaultText("running, pending"));
  static final Key<Duration> MIN_POLL_INTERVAL =
      DECLARED.add(
          Key.scalar(
              "muster.aws.min_poll_interval",
              KeyType.duration("s", Duration.ofMillis(100), Duration.ofHours(1)),
              Duration.ofSeconds(30),
              "AWS APIs are asked at most once per this interval (the last answer is reused in"
                  + " between), so a fleet of agents never trips API rate limits"));
  static final Key<URI> EC2_ENDPOINT =
      DECLARED.add(
          Key.scalar(
              "muster.aws.ec2_endpoint",
              ENDPOINT,
              null,
              "EC2 API endpoint override (default: the region's)"));
  static final Key<URI> ASG_ENDPOINT =
      DECLARED.add(
          Key.scalar(
              "muster.aws.autoscaling_endpoint",
              ENDPOINT,
              null,
              "Auto Scaling API endpoint override (default: the region's)"));
  static final Key<URI> IMDS_ENDPOINT =
      DECLARED.add(
          Key.scalar(
              "muster.aws.imds_endpoint",
              ENDPOINT,
              null,
              "Instance metadata endpoint override (default: http://169.254.169.254)"));

  static final List<Key<?>> KEYS = DECLARED.all();

  public AwsBackendFactory() {
    super(
        "aws",
        List.of("rabbit_peer_discovery_aws"),
        "AWS: EC2 instances by tags or autoscaling group (lockless, contact points).",
        KEYS);
  }

  @Override
  public Backend create(BackendContext context) {
    AwsSettings s = AwsSettings.from(context.settings());
    return new AwsBackend(s, context.localNode(), new AwsClients(s, context));
  }
}
