package io.muster.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one discovery attempt produced: the peers the backend reports, or a typed failure. A failure
 * is never an empty list: the core keeps the last good list when discovery fails.
 */
public sealed interface DiscoveryResult {

  /**
   * The nodes a backend reports, in the backend's order (registration backends: oldest registration
   * first). Invalid names were already rejected by the backend and are listed in {@code rejected}
   * so that operators can see them. Registration backends also report {@code members}: the cluster
   * id each registration claims ({@link Registration#markMember}); a node absent from it claims
   * none (it has not completed, or its agent is of a release before this). {@code repeated}: this
   * is the backend's previous answer served again (a backend that may be asked only so often, as
   * AWS), not a new read: the core does not count it as a fresh discovery. {@code dropped}: what
   * the backend listed but is not a peer, each with why (a critical check, a terminating pod, an
   * endpoint without the hostname asked for), so that an empty list can say why it is empty.
   */
  record Peers(
      List<NodeName> nodes,
      List<String> rejected,
      Map<NodeName, String> members,
      boolean repeated,
      List<String> dropped)
      implements DiscoveryResult {
    public Peers {
      nodes = List.copyOf(nodes);
      rejected = List.copyOf(rejected);
      members = Map.copyOf(members);
      dropped = List.copyOf(dropped);
    }

    public Peers(
        List<NodeName> nodes, List<String> rejected, Map<NodeName, String> members, boolean again) {
      this(nodes, rejected, members, again, List.of());
    }

    public Peers(List<NodeName> nodes, List<String> rejected, Map<NodeName, String> members) {
      this(nodes, rejected, members, false);
    }

    /** This answer, served again without asking the backend. */
    public Peers again() {
      return new Peers(nodes, rejected, members, true, dropped);
    }

    public Peers(List<NodeName> nodes, List<String> rejected) {
      this(nodes, rejected, Map.of());
    }

    public Peers(List<NodeName> nodes) {
      this(nodes, List.of());
    }
  }

  /** Discovery did not produce an answer this time. The message never carries a secret. */
  record Failure(Kind kind, String message) implements DiscoveryResult {
    public Failure {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(message, "message");
    }
  }

  /** Why a discovery failed; drives what operators are told, not whether to retry. */
  enum Kind {
    /** The backend could not be reached (connection refused, DNS failure of the backend host). */
    UNREACHABLE,
    /** The backend did not answer within the timeout. */
    TIMEOUT,
    /** The backend refused our credentials or permissions. */
    AUTH,
    /** The backend answered something we could not use (bad status, unparsable body). */
    BAD_RESPONSE,
    /** Anything else. */
    OTHER
  }
}
