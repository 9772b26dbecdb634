package io.muster.spi.support;

import io.muster.spi.DiscoveryResult;
import io.muster.spi.NodeName;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A backend's answer as it is read: every name validated ({@link NodeName}'s grammar; a name that
 * fails it is rejected, listed for operators, never passed on), duplicates dropped, the backend's
 * order kept; what the backend listed but is not a peer, each with why; and the cluster each
 * registration claims. What every backend did by hand before.
 */
public final class PeerList {

  private final String prefix;
  private final Set<NodeName> nodes = new LinkedHashSet<>();
  private final List<String> rejected = new ArrayList<>();
  private final List<String> dropped = new ArrayList<>();
  private final Map<NodeName, String> members = new LinkedHashMap<>();

  /**
   * @param prefix the node name prefix {@link #host} puts before a host ({@code rabbit})
   */
  public PeerList(String prefix) {
    this.prefix = prefix;
  }

  /** {@code prefix@host}, validated: the node when valid (first time or again), else rejected. */
  public Optional<NodeName> host(String host) {
    return name(prefix + "@" + host);
  }

  /** A whole node name, validated: the node when valid (first time or again), else rejected. */
  public Optional<NodeName> name(String text) {
    if (!NodeName.isValid(text)) {
      rejected.add(text);
      return Optional.empty();
    }
    NodeName n = NodeName.parse(text);
    nodes.add(n);
    return Optional.of(n);
  }

  /** The registration of {@code node} claims cluster {@code clusterId}. */
  public void claim(NodeName node, String clusterId) {
    members.put(node, clusterId);
  }

  /** The backend listed something that is not a peer: {@code why} says what and why. */
  public void drop(String why) {
    dropped.add(why);
  }

  /** No valid node so far. */
  public boolean isEmpty() {
    return nodes.isEmpty();
  }

  /** {@code " (dropped: ...)"} and {@code " (rejected: ...)"} where there are any, for messages. */
  public String leftOut() {
    return (dropped.isEmpty() ? "" : " (dropped: " + dropped + ")")
        + (rejected.isEmpty() ? "" : " (rejected: " + rejected + ")");
  }

  public DiscoveryResult.Peers peers() {
    return new DiscoveryResult.Peers(new ArrayList<>(nodes), rejected, members, false, dropped);
  }
}
