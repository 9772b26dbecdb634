package io.muster.backend.aws;

import io.muster.spi.BackendContext;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * The AWS SDK clients, created on first use only (creating them costs about a second), over the
 * URL-connection HTTP client with the core's proxy settings. Instance metadata never goes through
 * the proxy. Throttling ({@code RequestLimitExceeded}, 503) is retried by the SDK's standard
 * strategy with jittered backoff, up to {@link #ATTEMPTS} attempts per call.
 */
final class AwsClients implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AwsClients.class);

  static final int ATTEMPTS = 6;
  private static final URI IMDS_DEFAULT = URI.create("http://169.254.169.254");

  private final AwsSettings s;
  private final BackendContext context;
  private SdkHttpClient http;
  private SdkHttpClient imdsHttp;
  private Ec2MetadataClient imds;
  private Ec2Client ec2;
  private AutoScalingClient asg;
  private Region region;

  AwsClients(AwsSettings s, BackendContext context) {
    this.s = s;
    this.context = context;
  }

  synchronized Ec2Client ec2() {
    if (ec2 == null) {
      var b =
          Ec2Client.builder()
              .httpClient(http())
              .region(region())
              .credentialsProvider(credentials());
      b.overrideConfiguration(overrides());
      s.ec2Endpoint().ifPresent(b::endpointOverride);
      ec2 = b.build();
    }
    return ec2;
  }

  synchronized AutoScalingClient autoscaling() {
    if (asg == null) {
      var b =
          AutoScalingClient.builder()
              .httpClient(http())
              .region(region())
              .credentialsProvider(credentials());
      b.overrideConfiguration(overrides());
      s.asgEndpoint().ifPresent(b::endpointOverride);
      asg = b.build();
    }
    return asg;
  }

  synchronized Ec2MetadataClient imds() {
    if (imds == null) {
      imdsHttp = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2)).build();
      imds =
          Ec2MetadataClient.builder()
              .httpClient(imdsHttp)
              .endpoint(s.imdsEndpoint().orElse(IMDS_DEFAULT))
              .build();
    }
    return imds;
  }

  private static ClientOverrideConfiguration overrides() {
    return ClientOverrideConfiguration.builder()
        .retryStrategy(r -> r.maxAttempts(ATTEMPTS))
        .apiCallAttemptTimeout(Duration.ofSeconds(10))
        .build();
  }

  private SdkHttpClient http() {
    if (http == null) {
      var b = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5));
      URI probe = s.ec2Endpoint().orElse(URI.create("https://ec2.amazonaws.com"));
      Optional<URI> proxy = context.proxyFor(probe.getScheme(), probe.getHost());
      proxy.ifPresent(
          p ->
              b.proxyConfiguration(
                  ProxyConfiguration.builder()
                      .endpoint(p)
                      .nonProxyHosts(new HashSet<>(context.proxyExclusions()))
                      .build()));
      http = b.build();
    }
    return http;
  }

  private AwsCredentialsProvider credentials() {
    if (s.accessKeyId().isPresent()) {
      return StaticCredentialsProvider.create(
          AwsBasicCredentials.create(s.accessKeyId().get(), s.secretKey().orElseThrow()));
    }
    return DefaultCredentialsProvider.builder().build();
  }

  /** Config, then AWS_REGION / AWS_DEFAULT_REGION, then instance metadata, then us-east-1. */
  synchronized Region region() {
    if (region == null) {
      String r =
          s.region()
              .or(() -> Optional.ofNullable(System.getenv("AWS_REGION")).filter(x -> !x.isBlank()))
              .or(
                  () ->
                      Optional.ofNullable(System.getenv("AWS_DEFAULT_REGION"))
                          .filter(x -> !x.isBlank()))
              .or(this::metadataRegion)
              .orElse("us-east-1");
      region = Region.of(r);
      LOG.info("aws: region {}", region);
    }
    return region;
  }

  private Optional<String> metadataRegion() {
    try {
      return Optional.of(imds().get("/latest/meta-data/placement/region").asString().trim());
    } catch (RuntimeException e) {
      LOG.info("aws: no region from instance metadata ({}); using us-east-1", e.getMessage());
      return Optional.empty();
    }
  }

  /** This instance's id, from IMDSv2 (token PUT, then GET). */
  String instanceId() {
    return imds().get("/latest/meta-data/instance-id").asString().trim();
  }

  @Override
  public synchronized void close() {
    for (AutoCloseable c : new AutoCloseable[] {ec2, asg, imds, http, imdsHttp}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          LOG.debug("aws: closing a client: {}", e.getMessage());
        }
      }
    }
  }
}
