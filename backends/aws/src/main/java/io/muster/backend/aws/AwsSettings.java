package io.muster.backend.aws;

import static io.muster.backend.aws.AwsBackendFactory.*;

import io.muster.spi.InvalidSettingException;
import io.muster.spi.Settings;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The AWS backend's validated settings; {@link #toString()} never shows the secret key. */
record AwsSettings(
    Optional<String> region,
    Optional<String> accessKeyId,
    Optional<String> secretKey,
    Map<String, String> tags,
    boolean useAutoscalingGroup,
    boolean usePrivateIp,
    List<String> hostnamePath,
    List<String> states,
    Duration minPollInterval,
    Optional<URI> ec2Endpoint,
    Optional<URI> asgEndpoint,
    Optional<URI> imdsEndpoint) {

  static AwsSettings from(Settings s) {
    if (s.find(ACCESS_KEY_ID).isPresent() != s.find(SECRET_KEY).isPresent()) {
      throw new InvalidSettingException(
          s.find(ACCESS_KEY_ID).isPresent() ? ACCESS_KEY_ID : SECRET_KEY,
          "access_key_id and secret_key set together (only one of them is set)");
    }
    boolean asg = s.get(USE_ASG);
    if (!asg && s.get(INSTANCE_TAGS).isEmpty()) {
      throw new InvalidSettingException(
          INSTANCE_TAGS,
          "at least one instance_tags.KEY = VALUE, or use_autoscaling_group = true (otherwise"
              + " every instance in the region would be a peer)");
    }
    List<String> states = s.get(INSTANCE_STATES);
    return new AwsSettings(
        s.find(REGION),
        s.find(ACCESS_KEY_ID),
        s.find(SECRET_KEY),
        s.get(INSTANCE_TAGS),
        asg,
        s.get(USE_PRIVATE_IP),
        s.get(HOSTNAME_PATH),
        states.isEmpty() ? List.of("running", "pending") : states,
        s.get(MIN_POLL_INTERVAL),
        s.find(EC2_ENDPOINT),
        s.find(ASG_ENDPOINT),
        s.find(IMDS_ENDPOINT));
  }

  @Override
  public String toString() {
    return "AwsSettings[region="
        + region
        + ", accessKeyId="
        + accessKeyId
        + ", secretKey="
        + secretKey.map(x -> "(set)")
        + ", tags="
        + tags
        + ", useAutoscalingGroup="
        + useAutoscalingGroup
        + ", usePrivateIp="
        + usePrivateIp
        + ", hostnamePath="
        + hostnamePath
        + ", states="
        + states
        + "]";
  }
}
