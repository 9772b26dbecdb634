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

  private final AwsSettings s;
  private final BackendContext context;
  private SdkHttpClient http;
  private SdkHttpClient imdsHttp;
  private Ec2MetadataClient imds;
  private Ec2Client ec2;
  private AutoScalingClient asg;
  private Region region;
  private AwsCredentialsProvider credentials;
  private boolean closed;

  AwsClients(AwsSettings s, BackendContext context) {
    this.s = s;
    this.context = context;
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("the aws backend is closed");
    }
  }

  synchronized Ec2Client ec2() {
    open();
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
    open();
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
    open();
    if (imds == null) {
      // Short time-outs and one retry: an unreachable IMDS must not stall discovery for minutes.
      imdsHttp =
          UrlConnectionHttpClient.builder()
              .connectionTimeout(Duration.ofSeconds(2))
              .socketTimeout(Duration.ofSeconds(2))
              .build();
      var b = Ec2MetadataClient.builder().httpClient(imdsHttp).retryPolicy(p -> p.numRetries(1));
      // Only when overridden: the SDK's default also honours the IPv6 endpoint mode.
      s.imdsEndpoint().ifPresent(b::endpoint);
      imds = b.build();
    }
    return imds;
  }

  private static ClientOverrideConfiguration overrides() {
    return ClientOverrideConfiguration.builder()
        .retryStrategy(r -> r.maxAttempts(ATTEMPTS))
        .apiCallAttemptTimeout(Duration.ofSeconds(10))
        .build();
  }

  /**
   * One HTTP client for both APIs. A proxy, when the core has one for either API's host, is set
   * with the core's exclusions as non-proxy hosts, so each host gets the right treatment.
   */
  private SdkHttpClient http() {
    if (http == null) {
      var b = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5));
      URI ec2 = s.ec2Endpoint().orElse(URI.create("https://ec2.amazonaws.com"));
      URI asg = s.asgEndpoint().orElse(URI.create("https://autoscaling.amazonaws.com"));
      context
          .proxyFor(ec2.getScheme(), ec2.getHost())
          .or(() -> context.proxyFor(asg.getScheme(), asg.getHost()))
          .ifPresent(p -> b.proxyConfiguration(proxy(p)));
      http = b.build();
    }
    return http;
  }

  /** The SDK wants scheme://host:port and the user apart; RabbitMQ's examples omit the port. */
  private ProxyConfiguration proxy(URI p) {
    int port = p.getPort() > 0 ? p.getPort() : "https".equals(p.getScheme()) ? 443 : 80;
    var b =
        ProxyConfiguration.builder()
            .endpoint(URI.create(p.getScheme() + "://" + p.getHost() + ":" + port))
            .nonProxyHosts(new HashSet<>(context.proxyExclusions()));
    if (p.getUserInfo() != null) {
      String[] up = p.getUserInfo().split(":", 2);
      b.username(up[0]);
      if (up.length > 1) {
        b.password(up[1]);
      }
    }
    return b.build();
  }

  private AwsCredentialsProvider credentials() {
    if (credentials == null) {
      credentials =
          s.accessKeyId().isPresent()
              ? StaticCredentialsProvider.create(
                  AwsBasicCredentials.create(s.accessKeyId().get(), s.secretKey().orElseThrow()))
              : DefaultCredentialsProvider.builder().build();
    }
    return credentials;
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
      LOG.warn(
          "aws: no region configured and none from instance metadata ({}); using us-east-1. Set"
              + " cluster_formation.aws.region if that is wrong",
          e.getMessage());
      return Optional.empty();
    }
  }

  /** This instance's id, from IMDSv2 (token PUT, then GET). */
  String instanceId() {
    return imds().get("/latest/meta-data/instance-id").asString().trim();
  }

  @Override
  public synchronized void close() {
    closed = true;
    AutoCloseable creds = credentials instanceof AutoCloseable a ? a : null;
    for (AutoCloseable c : new AutoCloseable[] {ec2, asg, imds, http, imdsHttp, creds}) {
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
