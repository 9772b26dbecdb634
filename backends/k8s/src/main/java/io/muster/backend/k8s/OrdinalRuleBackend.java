package io.muster.backend.k8s;

import static io.muster.backend.k8s.K8sBackendFactory.ORDINAL_RULE;

import io.muster.spi.Backend;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.FixedSeed;
import io.muster.spi.InvalidSettingException;
import io.muster.spi.NodeName;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The StatefulSet ordinal rule ({@code muster.k8s.ordinal_rule}): the seed is fixed by the pod's
 * ordinal (or {@code muster.k8s.seed_node}), so every pod agrees without talking and the API is
 * never called. Discovery is the seed and this node.
 */
final class OrdinalRuleBackend implements Backend, FixedSeed {

  private static final Logger LOG = LoggerFactory.getLogger(OrdinalRuleBackend.class);
  private static final Pattern ORDINAL = Pattern.compile("(.+)-(\\d+)");

  /** Pods the seed asks before seeding: the next {@value #SEED_ASKS} ordinals after the seed's. */
  static final int SEED_ASKS = 8;

  private final NodeName self;
  private final NodeName seed;

  /**
   * The seed is {@code seedNode}, else the pod of ordinal {@code seedOrdinal} of this one's set.
   */
  OrdinalRuleBackend(NodeName self, Optional<NodeName> seedNode, int seedOrdinal) {
    this.self = self;
    this.seed = seedNode.orElseGet(() -> ordinalSeed(self, seedOrdinal));
    LOG.info("k8s backend: StatefulSet ordinal rule, seed {} (no API calls)", seed);
  }

  /** {@code prefix@<sts>-<n>.rest} -> {@code prefix@<sts>-<seedOrdinal>.rest}. */
  static NodeName ordinalSeed(NodeName self, int seedOrdinal) {
    Matcher m = ORDINAL.matcher(firstLabel(self));
    if (!m.matches()) {
      throw new InvalidSettingException(
          ORDINAL_RULE,
          "a node name whose host is <statefulset>-<ordinal> ("
              + self
              + " is not), or muster.k8s.seed_node");
    }
    return NodeName.parse(self.prefix() + "@" + m.group(1) + "-" + seedOrdinal + rest(self));
  }

  private static String firstLabel(NodeName n) {
    int dot = n.host().indexOf('.');
    return dot < 0 ? n.host() : n.host().substring(0, dot);
  }

  private static String rest(NodeName n) {
    int dot = n.host().indexOf('.');
    return dot < 0 ? "" : n.host().substring(dot);
  }

  @Override
  public Optional<NodeName> fixedSeed() {
    return Optional.of(seed);
  }

  /**
   * The StatefulSet's other pods {@code <sts>-<seed+1..seed+8>} (their names as the seed's, ordinal
   * changed): pod -0 with a new volume joins their cluster when one of them answers formed
   * (formation.md step 5). A pod that does not exist does not resolve and counts as not there.
   * Empty when the seed's name has no ordinal (muster.k8s.seed_node).
   */
  @Override
  public List<NodeName> seedPeers() {
    Matcher m = ORDINAL.matcher(firstLabel(seed));
    if (!m.matches()) {
      return List.of();
    }
    int ordinal = Integer.parseInt(m.group(2));
    List<NodeName> peers = new ArrayList<>();
    for (int i = ordinal + 1; i <= ordinal + SEED_ASKS; i++) {
      peers.add(NodeName.parse(seed.prefix() + "@" + m.group(1) + "-" + i + rest(seed)));
    }
    return peers;
  }

  @Override
  public CompletionStage<DiscoveryResult> discover(Duration timeout) {
    List<NodeName> both = new ArrayList<>(List.of(seed));
    if (!seed.equals(self)) {
      both.add(self);
    }
    return CompletableFuture.completedFuture(new DiscoveryResult.Peers(both));
  }

  @Override
  public void close() {}
}
