package io.muster.backend.k8s;

import io.muster.spi.Backend;
import io.muster.spi.BackendContext;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import io.muster.spi.NodeName;
import io.muster.spi.Settings;
import io.muster.spi.support.DeclaredFactory;
import io.muster.spi.support.KeySet;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code k8s}: peers are the addresses of a Service's Endpoints (or EndpointSlices), ready or not,
 * read from the Kubernetes API with the pod's service account; or, opt-in, the StatefulSet ordinal
 * rule (pod {@code <sts>-0} seeds, the others join it, no API call). Lockless otherwise.
 */
public final class K8sBackendFactory extends DeclaredFactory {

  /** Every key below, in declaration order: what keys() returns. */
  private static final KeySet DECLARED = new KeySet();

  private static final String P = "cluster_formation.k8s.";
  private static final String SA = "/var/run/secrets/kubernetes.io/serviceaccount/";

  static final Key<String> HOST =
      DECLARED.add(
          Key.scalar(
              P + "host",
              KeyType.HOST_ADDRESS,
              "kubernetes.default.svc.cluster.local",
              "API host"));
  static final Key<Integer> PORT =
      DECLARED.add(Key.scalar(P + "port", KeyType.port(false), 443, "API port"));
  static final Key<String> SCHEME =
      DECLARED.add(Key.scalar(P + "scheme", KeyType.oneOf("https", "http"), "https", "API scheme"));
  static final Key<Path> TOKEN_PATH =
      DECLARED.add(
          Key.scalar(
              P + "token_path",
              KeyType.PATH,
              Path.of(SA + "token"),
              "Service account token; re-read for every request (bound tokens rotate)"));
  static final Key<Path> CERT_PATH =
      DECLARED.add(
          Key.scalar(
              P + "cert_path",
              KeyType.PATH,
              Path.of(SA + "ca.crt"),
              "CA that signed the API server's certificate (verification is always on)"));
  static final Key<Path> NAMESPACE_PATH =
      DECLARED.add(
          Key.scalar(
              P + "namespace_path",
              KeyType.PATH,
              Path.of(SA + "namespace"),
              "The pod's namespace file"));
  static final Key<String> SERVICE_NAME =
      DECLARED.add(
          Key.scalar(
              P + "service_name",
              KeyType.of(
                  "Service name",
                  raw -> {
                    if (!raw.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
                      throw new IllegalArgumentException(
                          "a Kubernetes Service name (DNS-1035 label)");
                    }
                    return raw;
                  }),
              "rabbitmq",
              "The (headless) Service whose endpoints are the peers"));
  static final Key<String> ADDRESS_TYPE =
      DECLARED.add(
          Key.scalar(
              P + "address_type",
              KeyType.oneOf("ip", "hostname"),
              "ip",
              "Node names from the endpoint's IP, or from its hostname (plus hostname_suffix)"));
  static final Key<String> HOSTNAME_SUFFIX =
      DECLARED.add(
          Key.scalar(
              P + "hostname_suffix",
              KeyType.STRING,
              "",
              "Appended to endpoint hostnames, e.g. .rabbitmq-headless.ns.svc.cluster.local"));
  static final Key<Boolean> ORDINAL_RULE =
      DECLARED.add(
          Key.scalar(
              "muster.k8s.ordinal_rule",
              KeyType.BOOLEAN,
              false,
              "StatefulSet rule: this node's host is <sts>-<n>; <sts>-<seed_ordinal> seeds, the others"
                  + " join it; no API call"));
  static final Key<Integer> SEED_ORDINAL =
      DECLARED.add(
          Key.scalar(
                  "muster.k8s.seed_ordinal",
                  KeyType.integer(0, 100_000),
                  0,
                  "With ordinal_rule: the ordinal that seeds (the StatefulSet's start ordinal)")
              .withAliases("cluster_formation.k8s.ordinal_start"));
  static final Key<NodeName> SEED_NODE =
      DECLARED.add(
          Key.scalar(
                  "muster.k8s.seed_node",
                  KeyType.NODE_NAME,
                  null,
                  "With ordinal_rule: the seed's node name, instead of deriving it from the ordinal")
              .withAliases("cluster_formation.k8s.seed_node"));

  static final List<Key<?>> KEYS = DECLARED.all();

  public K8sBackendFactory() {
    super(
        "k8s",
        List.of("rabbit_peer_discovery_k8s", "kubernetes"),
        "Kubernetes: Service endpoints via the API, or the StatefulSet ordinal rule.",
        KEYS);
  }

  @Override
  public Backend create(BackendContext context) {
    Settings s = context.settings();
    if (s.get(ORDINAL_RULE)) {
      return new OrdinalRuleBackend(context.localNode(), s.find(SEED_NODE), s.get(SEED_ORDINAL));
    }
    return new K8sBackend(K8sSettings.from(s), context.localNode(), context.vertx());
  }
}
