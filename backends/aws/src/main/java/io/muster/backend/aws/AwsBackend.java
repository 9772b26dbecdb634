package io.muster.backend.aws;

import io.muster.spi.Backend;
import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.DiscoveryResult.Kind;
import io.muster.spi.NodeName;
import io.muster.spi.support.PeerList;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingInstanceDetails;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;

/**
 * Discovery through the EC2 and Auto Scaling APIs (blocking SDK calls on a thread of its own, never
 * on an event loop). Every call is paginated. AWS is asked at most once per {@code
 * min_poll_interval}; in between the last answer is reused.
 */
final class AwsBackend implements Backend {

  private static final Logger LOG = LoggerFactory.getLogger(AwsBackend.class);
  private static final Pattern NOT_FOUND_IDS = Pattern.compile("'([^']+)'");

  private final AwsSettings s;
  private final NodeName self;
  private final AwsClients clients;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "muster-aws");
            t.setDaemon(true);
            return t;
          });
  private volatile DiscoveryResult last;
  private volatile long lastAttemptNanos;
  private volatile String groupName;

  AwsBackend(AwsSettings s, NodeName self, AwsClients clients) {
    this.s = s;
    this.self = self;
    this.clients = clients;
    LOG.info(
        "aws backend: {}, states {}, node names from {}, AWS asked at most every {} ms",
        s.useAutoscalingGroup()
            ? "this instance's autoscaling group"
            : "instances tagged " + s.tags(),
        s.states(),
        !s.hostnamePath().isEmpty()
            ? "hostname_path " + s.hostnamePath()
            : s.usePrivateIp() ? "the private IP" : "the private DNS name",
        s.minPollInterval().toMillis());
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    DiscoveryResult cached = last;
    // Successes and failures alike: a throttled fleet must slow down, not retry faster.
    if (cached != null && System.nanoTime() - lastAttemptNanos < s.minPollInterval().toNanos()) {
      // the last answer again, marked as such: never counted as a fresh read
      return CompletableFuture.completedFuture(
          cached instanceof DiscoveryResult.Peers p ? p.again() : cached);
    }
    return CompletableFuture.supplyAsync(() -> attempt(timeout), worker)
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(this::failure);
  }

  private DiscoveryResult attempt(Duration timeout) {
    lastAttemptNanos = System.nanoTime();
    DiscoveryResult r;
    try {
      r = ask(timeout);
    } catch (RuntimeException e) {
      r = failure(e);
    }
    last = r;
    return r;
  }

  /**
   * @param callTimeout bound on each API call (the discovery time-out)
   */
  private DiscoveryResult.Peers ask(Duration callTimeout) {
    List<Instance> instances =
        s.useAutoscalingGroup()
            ? groupInstances(callTimeout)
            : describe(tagFilters(), List.of(), callTimeout);
    PeerList peers = new PeerList(self.prefix());
    instances.stream()
        .sorted(Comparator.comparing(Instance::instanceId))
        .forEach(
            i -> {
              String host = InstanceHost.of(i, s);
              if (host.isEmpty()) {
                peers.drop(i.instanceId() + ": no host name yet");
              } else {
                peers.host(host);
              }
            });
    return peers.peers();
  }

  private List<Filter> tagFilters() {
    List<Filter> filters = new ArrayList<>();
    for (Map.Entry<String, String> t : s.tags().entrySet()) {
      filters.add(Filter.builder().name("tag:" + t.getKey()).values(t.getValue()).build());
    }
    return filters;
  }

  /** DescribeInstances, paginated, in the wanted states, optionally for some instance ids. */
  private List<Instance> describe(List<Filter> filters, List<String> ids, Duration callTimeout) {
    List<Filter> all = new ArrayList<>(filters);
    all.add(Filter.builder().name("instance-state-name").values(s.states()).build());
    LOG.debug("aws: DescribeInstances filters {} ids {}", all, ids);
    DescribeInstancesRequest.Builder req =
        DescribeInstancesRequest.builder()
            .filters(all)
            .overrideConfiguration(o -> o.apiCallTimeout(callTimeout));
    if (!ids.isEmpty()) {
      req.instanceIds(ids);
    }
    List<Instance> out = new ArrayList<>();
    for (var page : clients.ec2().describeInstancesPaginator(req.build())) {
      for (Reservation r : page.reservations()) {
        out.addAll(r.instances());
      }
    }
    return out;
  }

  /**
   * The members of this instance's group: instance id (IMDSv2), its group
   * (DescribeAutoScalingInstances), the group's instances (DescribeAutoScalingGroups), then their
   * descriptions. Ids EC2 no longer knows (terminated meanwhile) are dropped, not fatal.
   */
  private List<Instance> groupInstances(Duration callTimeout) {
    String group = groupName;
    if (group == null) {
      String id = clients.instanceId();
      LOG.debug("aws: DescribeAutoScalingInstances {}", id);
      group =
          clients
              .autoscaling()
              .describeAutoScalingInstances(r -> r.instanceIds(id))
              .autoScalingInstances()
              .stream()
              .map(AutoScalingInstanceDetails::autoScalingGroupName)
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "instance " + id + " is not in an autoscaling group"));
      groupName = group;
      LOG.info("aws: this instance ({}) is in autoscaling group {}", id, group);
    }
    String name = group;
    Set<String> ids = new LinkedHashSet<>();
    LOG.debug("aws: DescribeAutoScalingGroups {}", name);
    for (var page :
        clients
            .autoscaling()
            .describeAutoScalingGroupsPaginator(
                r ->
                    r.autoScalingGroupNames(name)
                        .overrideConfiguration(o -> o.apiCallTimeout(callTimeout)))) {
      for (AutoScalingGroup g : page.autoScalingGroups()) {
        g.instances().forEach(i -> ids.add(i.instanceId()));
      }
    }
    if (ids.isEmpty()) {
      return List.of();
    }
    List<String> asked = new ArrayList<>(ids);
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        return describe(List.of(), asked, callTimeout);
      } catch (Ec2Exception e) {
        String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
        if (!"InvalidInstanceID.NotFound".equals(code)) {
          throw e;
        }
        List<String> gone = new ArrayList<>();
        Matcher m = NOT_FOUND_IDS.matcher(String.valueOf(e.awsErrorDetails().errorMessage()));
        while (m.find()) {
          for (String id : m.group(1).split(",\\s*")) {
            gone.add(id.trim());
          }
        }
        if (gone.isEmpty() || !asked.removeAll(gone)) {
          throw e;
        }
        LOG.info("aws: instances {} of group {} no longer exist; asking without them", gone, name);
        if (asked.isEmpty()) {
          return List.of();
        }
      }
    }
    throw new IllegalStateException("instances of group " + name + " kept disappearing");
  }

  private DiscoveryResult failure(Throwable t) {
    Throwable c = BackendFailure.unwrap(t);
    Kind kind = Kind.OTHER;
    String what = BackendFailure.message(c);
    if (c instanceof TimeoutException) {
      kind = Kind.TIMEOUT;
      what = "no answer in time";
    } else if (c instanceof AwsServiceException e) {
      int status = e.statusCode();
      var details = e.awsErrorDetails();
      String code = details == null || details.errorCode() == null ? "" : details.errorCode();
      String message =
          details == null || details.errorMessage() == null ? "" : details.errorMessage();
      kind =
          status == 401 || status == 403 || code.startsWith("Auth") || code.contains("Unauthorized")
              ? Kind.AUTH
              : Kind.BAD_RESPONSE;
      if (code.isEmpty() && message.isEmpty()) {
        // The JDK's HttpURLConnection drops the body of a 401 to a streamed POST, so EC2's
        // AuthFailure for unknown keys arrives as a bare status.
        what =
            "HTTP "
                + status
                + (kind == Kind.AUTH
                    ? ": credentials refused (check cluster_formation.aws.access_key_id and"
                        + " secret_key, or the instance's role)"
                    : " without error details");
      } else {
        what = code + " (HTTP " + status + "): " + message;
      }
    } else if (c instanceof SdkClientException
        && String.valueOf(c.getMessage()).contains("Unable to load credentials")) {
      kind = Kind.AUTH;
    } else if (c instanceof SdkClientException) {
      kind = Kind.UNREACHABLE;
    } else if (c instanceof SdkException) {
      kind = Kind.OTHER;
    }
    return new DiscoveryResult.Failure(kind, "aws: " + what);
  }

  @Override
  public void close() {
    worker.shutdownNow();
    clients.close();
  }
}
