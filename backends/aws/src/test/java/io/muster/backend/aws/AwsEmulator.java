package io.muster.backend.aws;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An EMULATOR of the AWS APIs the backend calls, for tests (there is no AWS here): a real HTTP
 * server speaking the EC2 and Auto Scaling Query APIs (form-encoded POSTs, the documented XML
 * responses and error shapes) and, per instance, IMDSv2 (token PUT, then GETs with the token). The
 * SDK reaches it through its endpoint overrides.
 *
 * <p>Covered: DescribeInstances (tag and instance-state-name filters, InstanceId.N, NextToken
 * pagination, InvalidInstanceID.NotFound for unknown ids), DescribeAutoScalingInstances,
 * DescribeAutoScalingGroups (NextToken), throttling as EC2 answers it (503 RequestLimitExceeded),
 * IMDSv2 instance-id and placement/region (401 without a token). It pages every answer by {@link
 * #PAGE} items even without MaxResults (real EC2 pages only when asked) so that pagination is
 * always exercised. With {@link #requireAccessKey} it answers a request signed with another access
 * key ID as AWS does (EC2: 401 AuthFailure; Auto Scaling: 403 InvalidClientTokenId). Not covered:
 * signature checks (the secret key is never verified), other filters and actions, IAM, IMDSv1.
 */
final class AwsEmulator implements AutoCloseable {

  static final int PAGE = 2;

  private final Vertx vertx = Vertx.vertx();
  private final Map<String, Inst> instances = new LinkedHashMap<>();
  private final Map<String, List<String>> groups = new LinkedHashMap<>();
  private final AtomicInteger throttle = new AtomicInteger();
  private final AtomicInteger describeInstancesCalls = new AtomicInteger();
  private final AtomicInteger proxiedCalls = new AtomicInteger();
  private final AtomicInteger rejectedCalls = new AtomicInteger();
  private volatile String accessKeyId;
  private final List<HttpServer> servers = new ArrayList<>();
  private HttpServer api;
  private HttpServer asgApi;

  /** One emulated instance. */
  record Inst(
      String id,
      String state,
      String privateIp,
      String privateDns,
      String publicDns,
      Map<String, String> tags) {}

  AwsEmulator start() throws Exception {
    api = listen(req -> apiRequest(req, true));
    asgApi = listen(req -> apiRequest(req, false));
    return this;
  }

  private HttpServer listen(io.vertx.core.Handler<HttpServerRequest> handler) throws Exception {
    HttpServer s =
        vertx
            .createHttpServer()
            .requestHandler(handler)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    synchronized (servers) {
      servers.add(s);
    }
    return s;
  }

  /** The EC2 Query API (and, for requests in proxy form, an HTTP proxy to both APIs). */
  String endpoint() {
    return "http://127.0.0.1:" + api.actualPort();
  }

  /** The Auto Scaling Query API. */
  String asgEndpoint() {
    return "http://127.0.0.1:" + asgApi.actualPort();
  }

  synchronized AwsEmulator instance(Inst i) {
    instances.put(i.id(), i);
    return this;
  }

  synchronized AwsEmulator group(String name, List<String> ids) {
    groups.put(name, new ArrayList<>(ids));
    return this;
  }

  /** From now on only requests signed with this access key ID are served. */
  AwsEmulator requireAccessKey(String id) {
    this.accessKeyId = id;
    return this;
  }

  /** Requests refused because they were signed with an unknown access key ID. */
  int rejectedCalls() {
    return rejectedCalls.get();
  }

  /** The access key ID of a SigV4 Authorization header ({@code Credential=AKID/date/...}). */
  private static String signedBy(HttpServerRequest req) {
    String auth = req.getHeader("Authorization");
    int at = auth == null ? -1 : auth.indexOf("Credential=");
    if (at < 0) {
      return null;
    }
    int end = auth.indexOf('/', at);
    return end < 0 ? null : auth.substring(at + "Credential=".length(), end);
  }

  /** The next {@code n} API calls are throttled (503 RequestLimitExceeded). */
  void throttleNext(int n) {
    throttle.set(n);
  }

  int describeInstancesCalls() {
    return describeInstancesCalls.get();
  }

  /** An IMDSv2 endpoint for one instance (its own port), in region us-east-1. */
  String imdsFor(String instanceId) throws Exception {
    String token = UUID.randomUUID().toString();
    HttpServer s =
        listen(
            req -> {
              if (req.method().name().equals("PUT") && req.path().equals("/latest/api/token")) {
                if (req.getHeader("X-aws-ec2-metadata-token-ttl-seconds") == null) {
                  req.response().setStatusCode(400).end();
                  return;
                }
                req.response()
                    .putHeader("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                    .end(token);
                return;
              }
              if (!token.equals(req.getHeader("X-aws-ec2-metadata-token"))) {
                req.response().setStatusCode(401).end();
                return;
              }
              switch (req.path()) {
                case "/latest/meta-data/instance-id" -> req.response().end(instanceId);
                case "/latest/meta-data/placement/region" -> req.response().end("us-east-1");
                default -> req.response().setStatusCode(404).end();
              }
            });
    return "http://127.0.0.1:" + s.actualPort();
  }

  /** Requests that arrived in proxy form (absolute URI), i.e. through an HTTP proxy. */
  int proxiedCalls() {
    return proxiedCalls.get();
  }

  private void apiRequest(HttpServerRequest req, boolean ec2Server) {
    boolean ec2 = ec2Server;
    if (req.uri().startsWith("http://") || req.uri().startsWith("https://")) {
      // This server is also playing an HTTP proxy: route by the host the client asked for.
      proxiedCalls.incrementAndGet();
      ec2 = !java.net.URI.create(req.uri()).getHost().startsWith("autoscaling");
    }
    boolean isEc2 = ec2;
    req.body()
        .onSuccess(
            body -> {
              Map<String, String> form = form(body.toString());
              String action = form.getOrDefault("Action", "");
              String required = accessKeyId;
              if (required != null && !required.equals(signedBy(req))) {
                rejectedCalls.incrementAndGet();
                if (isEc2) {
                  error(
                      req,
                      401,
                      true,
                      "AuthFailure",
                      "AWS was not able to validate the provided access credentials");
                } else {
                  error(
                      req,
                      403,
                      false,
                      "InvalidClientTokenId",
                      "The security token included in the request is invalid.");
                }
                return;
              }
              if (throttle.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                if (isEc2) {
                  error(req, 503, true, "RequestLimitExceeded", "Request limit exceeded.");
                } else {
                  error(req, 400, false, "Throttling", "Rate exceeded");
                }
                return;
              }
              try {
                synchronized (this) {
                  switch (isEc2 ? "ec2:" + action : "asg:" + action) {
                    case "ec2:DescribeInstances" -> describeInstances(req, form);
                    case "asg:DescribeAutoScalingInstances" -> describeAsgInstances(req, form);
                    case "asg:DescribeAutoScalingGroups" -> describeAsgs(req, form);
                    default ->
                        error(
                            req,
                            400,
                            isEc2,
                            "InvalidAction",
                            "The action " + action + " is not valid for this web service.");
                  }
                }
              } catch (NumberFormatException e) {
                error(
                    req,
                    400,
                    isEc2,
                    isEc2 ? "InvalidParameterValue" : "ValidationError",
                    "Invalid NextToken");
              }
            });
  }

  private static Map<String, String> form(String body) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  private static List<String> indexed(Map<String, String> form, String prefix) {
    List<String> out = new ArrayList<>();
    for (int i = 1; form.containsKey(prefix + i); i++) {
      out.add(form.get(prefix + i));
    }
    return out;
  }

  private void describeInstances(HttpServerRequest req, Map<String, String> form) {
    describeInstancesCalls.incrementAndGet();
    List<String> ids = indexed(form, "InstanceId.");
    List<String> unknown = ids.stream().filter(id -> !instances.containsKey(id)).toList();
    if (!unknown.isEmpty()) {
      error(
          req,
          400,
          true,
          "InvalidInstanceID.NotFound",
          unknown.size() == 1
              ? "The instance ID '" + unknown.get(0) + "' does not exist"
              : "The instance IDs '" + String.join(", ", unknown) + "' do not exist");
      return;
    }
    List<Inst> matched = new ArrayList<>();
    for (Inst i : instances.values()) {
      if (!ids.isEmpty() && !ids.contains(i.id())) {
        continue;
      }
      boolean ok = true;
      for (int f = 1; form.containsKey("Filter." + f + ".Name"); f++) {
        String name = form.get("Filter." + f + ".Name");
        List<String> values = indexed(form, "Filter." + f + ".Value.");
        String actual =
            name.equals("instance-state-name")
                ? i.state()
                : name.startsWith("tag:") ? i.tags().get(name.substring(4)) : null;
        ok &= actual != null && values.contains(actual);
      }
      if (ok) {
        matched.add(i);
      }
    }
    int from = form.containsKey("NextToken") ? Integer.parseInt(form.get("NextToken")) : 0;
    int to = Math.min(matched.size(), from + PAGE);
    StringBuilder x = new StringBuilder();
    x.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .append("<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">")
        .append("<requestId>")
        .append(UUID.randomUUID())
        .append("</requestId><reservationSet>");
    for (Inst i : matched.subList(from, to)) {
      x.append("<item><reservationId>r-")
          .append(i.id().substring(2))
          .append("</reservationId>")
          .append("<ownerId>123456789012</ownerId><groupSet/><instancesSet><item>")
          .append(el("instanceId", i.id()))
          .append("<imageId>ami-0abcdef1234567890</imageId>")
          .append("<instanceState><code>")
          .append(code(i.state()))
          .append("</code>")
          .append(el("name", i.state()))
          .append("</instanceState>")
          .append(el("privateDnsName", i.privateDns()))
          .append(el("dnsName", i.publicDns()))
          .append("<instanceType>t3.micro</instanceType>")
          .append(el("privateIpAddress", i.privateIp()))
          .append("<tagSet>");
      i.tags()
          .forEach(
              (k, v) ->
                  x.append("<item>").append(el("key", k)).append(el("value", v)).append("</item>"));
      x.append("</tagSet><networkInterfaceSet><item>")
          .append(el("networkInterfaceId", "eni-" + i.id().substring(2)))
          .append(el("privateIpAddress", i.privateIp()))
          .append("<association>")
          .append(el("publicDnsName", i.publicDns()))
          .append("</association></item></networkInterfaceSet>")
          .append("</item></instancesSet></item>");
    }
    x.append("</reservationSet>");
    if (to < matched.size()) {
      x.append(el("nextToken", Integer.toString(to)));
    }
    x.append("</DescribeInstancesResponse>");
    xml(req, 200, x.toString());
  }

  private void describeAsgInstances(HttpServerRequest req, Map<String, String> form) {
    List<String> ids = indexed(form, "InstanceIds.member.");
    StringBuilder x = new StringBuilder();
    x.append(
            "<DescribeAutoScalingInstancesResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">")
        .append("<DescribeAutoScalingInstancesResult><AutoScalingInstances>");
    groups.forEach(
        (g, members) -> {
          for (String id : members) {
            if (ids.contains(id)) {
              x.append("<member>")
                  .append(el("InstanceId", id))
                  .append(el("AutoScalingGroupName", g))
                  .append(
                      "<AvailabilityZone>us-east-1a</AvailabilityZone><LifecycleState>InService</LifecycleState>")
                  .append(
                      "<HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn>")
                  .append("</member>");
            }
          }
        });
    x.append("</AutoScalingInstances></DescribeAutoScalingInstancesResult>")
        .append("<ResponseMetadata><RequestId>")
        .append(UUID.randomUUID())
        .append("</RequestId></ResponseMetadata></DescribeAutoScalingInstancesResponse>");
    xml(req, 200, x.toString());
  }

  private void describeAsgs(HttpServerRequest req, Map<String, String> form) {
    List<String> names = indexed(form, "AutoScalingGroupNames.member.");
    List<String> selected =
        groups.keySet().stream().filter(g -> names.isEmpty() || names.contains(g)).toList();
    int from = form.containsKey("NextToken") ? Integer.parseInt(form.get("NextToken")) : 0;
    int to = Math.min(selected.size(), from + 1);
    StringBuilder x = new StringBuilder();
    x.append(
            "<DescribeAutoScalingGroupsResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">")
        .append("<DescribeAutoScalingGroupsResult><AutoScalingGroups>");
    for (String g : selected.subList(from, to)) {
      List<String> members = groups.get(g);
      x.append("<member>")
          .append(el("AutoScalingGroupName", g))
          .append(
              el(
                  "AutoScalingGroupARN",
                  "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:" + g))
          .append("<MinSize>0</MinSize><MaxSize>10</MaxSize><DesiredCapacity>")
          .append(members.size())
          .append("</DesiredCapacity><Instances>");
      for (String id : members) {
        x.append("<member>")
            .append(el("InstanceId", id))
            .append(
                "<AvailabilityZone>us-east-1a</AvailabilityZone><LifecycleState>InService</LifecycleState>")
            .append(
                "<HealthStatus>Healthy</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>");
      }
      x.append("</Instances><CreatedTime>2026-11-22T00:00:00Z</CreatedTime></member>");
    }
    x.append("</AutoScalingGroups>");
    if (to < selected.size()) {
      x.append(el("NextToken", Integer.toString(to)));
    }
    x.append("</DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>")
        .append(UUID.randomUUID())
        .append("</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>");
    xml(req, 200, x.toString());
  }

  private static int code(String state) {
    return switch (state) {
      case "pending" -> 0;
      case "running" -> 16;
      case "shutting-down" -> 32;
      case "terminated" -> 48;
      case "stopping" -> 64;
      default -> 80;
    };
  }

  /** EC2 errors are {@code <Response><Errors>}; Auto Scaling's are {@code <ErrorResponse>}. */
  private static void error(
      HttpServerRequest req, int status, boolean ec2, String code, String message) {
    String id = UUID.randomUUID().toString();
    String body =
        ec2
            ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
                + el("Code", code)
                + el("Message", message)
                + "</Error></Errors>"
                + el("RequestID", id)
                + "</Response>"
            : "<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><Error><Type>Sender</Type>"
                + el("Code", code)
                + el("Message", message)
                + "</Error>"
                + el("RequestId", id)
                + "</ErrorResponse>";
    xml(req, status, body);
  }

  private static String el(String name, String value) {
    if (value == null || value.isEmpty()) {
      return "<" + name + "/>";
    }
    String v = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    return "<" + name + ">" + v + "</" + name + ">";
  }

  private static void xml(HttpServerRequest req, int status, String body) {
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "text/xml;charset=UTF-8")
        .end(body);
  }

  @Override
  public void close() {
    vertx.close();
  }
}
