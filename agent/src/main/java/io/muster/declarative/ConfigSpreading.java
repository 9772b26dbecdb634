package io.muster.declarative;

import io.muster.formation.NodeInfo;
import io.muster.spi.NodeName;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a younger cluster config reaches every agent (formation.md "Declarative mode"): every agent
 * tells its config's version and digest in its peer-port answer; an agent that sees a younger
 * version in an answer fetches that config from the agent that has it (signed, as probes are) and
 * offers it to its own {@link SpecHolder}. Agents of the old config's nodes and of the new one's
 * ask each other every round, so a config handed to any one agent reaches all of them, nodes that
 * appear later included; an older version seen is left to its agent, which fetches the younger one
 * when it asks this one. The same version with another digest is refused loudly and changes nothing
 * (the Clusterer's rule), and status names the agent that holds it.
 */
public final class ConfigSpreading {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigSpreading.class);

  private final SpecHolder holder;
  private final Function<NodeName, CompletionStage<String>> fetch;
  private final Executor io;
  private final Runnable adopted;
  private final boolean authenticated;

  /** Version being fetched (0: none): one fetch at a time. */
  private long fetching;

  /** Agents whose config has this agent's version but other content, with what they hold. */
  private final Map<NodeName, String> conflicts = new ConcurrentHashMap<>();

  /**
   * @param fetch the config JSON of a node's agent (its peer port)
   * @param io where a fetched config is stored (a blocking write)
   * @param adopted told each config adopted from a peer
   * @param authenticated peers prove who they are (a peer secret): a younger config is taken from
   *     any agent; without, only from the agents of nodes the config in force lists (anyone who
   *     reaches the peer port could otherwise name itself and serve a config)
   */
  public ConfigSpreading(
      SpecHolder holder,
      Function<NodeName, CompletionStage<String>> fetch,
      Executor io,
      Runnable adopted,
      boolean authenticated) {
    this.authenticated = authenticated;
    this.holder = holder;
    this.fetch = fetch;
    this.io = io;
    this.adopted = adopted;
  }

  /** Agents whose config of this agent's version differs, and why: for {@code /v1/status}. */
  public Map<NodeName, String> conflicts() {
    return new TreeMap<>(conflicts);
  }

  /** A probe round's answers: fetch a younger config if one was seen; note conflicts. */
  public void seen(Map<NodeName, NodeInfo> answers) {
    ClusterSpec mine = holder.inForce().orElse(null);
    if (mine == null) {
      return;
    }
    String digest = mine.digest();
    for (NodeInfo i : answers.values()) {
      if (i.specVersion() == mine.version() && i.specDigest() != null) {
        if (!i.specDigest().equals(digest)) {
          String why =
              "its config version "
                  + i.specVersion()
                  + " differs from this agent's (digest "
                  + i.specDigest()
                  + " against "
                  + digest
                  + "); equal versions must be equal configs: apply one with a higher version";
          if (!why.equals(conflicts.put(i.node(), why))) {
            LOG.error(
                "Refused the cluster config of {}'s agent: {}; nothing changed", i.node(), why);
          }
        } else {
          conflicts.remove(i.node());
        }
      } else if (i.specVersion() != mine.version()) {
        conflicts.remove(i.node());
      }
    }
    Optional<NodeInfo> youngest =
        answers.values().stream()
            .filter(i -> i.specVersion() > mine.version())
            .filter(i -> authenticated || mine.nodes().containsKey(i.node()))
            .max(Comparator.comparingLong(NodeInfo::specVersion));
    if (youngest.isEmpty()) {
      return;
    }
    NodeInfo from = youngest.get();
    fetch(from.node(), from.specVersion(), from.specDigest(), mine.version());
  }

  /**
   * A probe from {@code node}'s agent said it holds {@code version} (the push half: an agent that
   * adopted a younger config tells every agent it asks): fetch it when it is younger.
   */
  public void heard(NodeName node, long version) {
    ClusterSpec mine = holder.inForce().orElse(null);
    if (mine != null
        && version > mine.version()
        && (authenticated || mine.nodes().containsKey(node))) {
      fetch(node, version, null, mine.version());
    }
  }

  private void fetch(NodeName node, long version, String digest, long mine) {
    synchronized (this) {
      if (fetching >= version) {
        return;
      }
      fetching = version;
    }
    LOG.info(
        "{}'s agent holds cluster config version {}, younger than version {} here: fetching it",
        node,
        version,
        mine);
    try {
      fetch
          .apply(node)
          .whenCompleteAsync((body, error) -> offer(node, version, digest, body, error), io);
    } catch (RuntimeException e) {
      // the client is closed (stopping) or refused the request: nothing is in flight
      LOG.debug("Could not ask {}'s agent for its cluster config: {}", node, e.toString());
      synchronized (this) {
        fetching = 0;
      }
    }
  }

  private void offer(NodeName node, long version, String digest, String body, Throwable error) {
    try {
      if (error != null) {
        LOG.warn(
            "Could not fetch cluster config version {} from {}'s agent: {}; asking again next"
                + " round",
            version,
            node,
            error.getMessage());
        return;
      }
      ClusterSpec spec;
      try {
        spec = ClusterSpecs.fromJson(body, node + "'s agent");
      } catch (ClusterSpecs.InvalidSpecException e) {
        LOG.warn("{}'s agent served an unusable cluster config: {}", node, e.getMessage());
        return;
      }
      if (spec.version() != version || (digest != null && !spec.digest().equals(digest))) {
        // it changed between its answer and this fetch: the next round sees what it holds now
        LOG.info(
            "{}'s agent now holds version {}, not version {}; deciding on it next round",
            node,
            spec.version(),
            version);
        return;
      }
      SpecHolder.Result r = holder.adopt(spec, node + "'s agent");
      if (r.outcome() == SpecHolder.Outcome.ADOPTED) {
        adopted.run();
      }
    } catch (RuntimeException e) {
      LOG.error("Could not adopt the cluster config of {}'s agent: {}", node, e.toString());
    } finally {
      synchronized (this) {
        fetching = 0;
      }
    }
  }
}
