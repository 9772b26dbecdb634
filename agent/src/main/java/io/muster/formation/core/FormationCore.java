// Over 350 lines: one event loop and its state; the rules live in the DecisionPaths.
package io.muster.formation.core;

import io.muster.config.CoreSettings.OnExhausted;
import io.muster.declarative.ClusterSpec;
import io.muster.declarative.DeclaredConfig;
import io.muster.declarative.GospelReset;
import io.muster.formation.Decision;
import io.muster.formation.Membership;
import io.muster.formation.NodeInfo;
import io.muster.formation.NodeState;
import io.muster.formation.PeerView;
import io.muster.spi.DiscoveryResult;
import io.muster.spi.Marker;
import io.muster.spi.NodeName;
import io.muster.spi.Registration;
import io.muster.spi.support.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * formation.md's boot sequence as a deterministic state machine: it takes one {@link Event} at a
 * time, with the time it happened, and returns the {@link Effect}s to carry out. It does no I/O,
 * starts no thread, reads no clock and draws randomness only from the source it is given, so the
 * production driver and the simulator run the very same code.
 *
 * <p>The boot: rejoin from the membership record, or register (retried until it succeeds), then
 * decide through one {@link DecisionPath} (fixed seed, formation lock, or contact points), publish
 * the decision, then keep the peer list fresh. At most one backend operation of that loop is in
 * flight at a time; between operations the core pauses on a timer that a wake-up cuts short. The
 * node's requests (complete, abort) run beside the loop, one at a time.
 */
public final class FormationCore {

  /** Re-read with a working watch only as a safety net against a silent watch. */
  static final Duration WATCH_SAFETY_RESYNC = Duration.ofMinutes(5);

  /** Once retries ran out, the wait is logged on its first round and every this many after. */
  static final int EXHAUSTED_LOG_EVERY = 20;

  private enum Loop {
    /** Not started, or stopped. */
    IDLE,
    /** Registering before the first decision; retried until it succeeds. */
    REGISTER,
    /** One registration attempt (rejoin at boot, or the run phase). */
    REGISTER_ONCE,
    /** A decision path's operation. */
    PATH,
    RUN_DISCOVER,
    RUN_LEARN,
    /** A formed agent writing the formed marker back if the store lost it. */
    RUN_REASSERT,
    /** A pending seed proving its claim (renewal and read-back). */
    RUN_CONFIRM,
    /** Paused until the armed timer fires or a wake-up. */
    PAUSED,
    /** Held back while a request (the abort's marker clearing) is in progress. */
    PARKED
  }

  private final CoreTuning tuning;
  private final Capabilities caps;
  private final NodeRecord node;
  private final RandomGenerator random;
  private final Backoff backoff;
  private final CoreLog log;
  private final DecisionPath path;

  private final List<Effect> out = new ArrayList<>();
  private Instant now;
  private Loop loop = Loop.IDLE;
  private boolean booting;
  private boolean wakeRequested;
  private long timer;
  private boolean stopping;
  private PeerView.Snapshot view = PeerView.Snapshot.initial();

  private Phase phase = Phase.STARTING;
  private String waitingFor = "starting";
  private boolean registered;
  private int registerFailures;

  /**
   * Since when registration finds the node's name held by another live agent (null: it does not).
   */
  private Instant nameTakenSince;

  private int runFailures;
  private int attemptsLeft;
  private boolean exhausted;
  private long exhaustedRounds;
  private String failure;
  private Map<NodeName, NodeInfo> lastAnswers = Map.of();
  private Instant nextReassert;
  private boolean foreignRecord;

  /** Declarative mode: a membership record not rejoined from yet (see {@link #held}). */
  private Membership held;

  private boolean reassertNow;

  /** When the run phase reads the peer list next; null: at once. */
  private Instant nextDiscover;

  /** A wake-up asks for a read of the peer list before the next is due. */
  private boolean discoverNow;

  private String markerState;

  /**
   * Fencing (formation.md invariant 9): until when this pending seed may act on its claim, as it
   * can prove itself (null: no claim acted on); when its last confirmation was sent; the TTL that
   * confirmation granted; when the next one is due; the timer that fires at the deadline.
   */
  private Instant claimDeadline;

  private Instant confirmSentAt;
  private Duration claimTtl;
  private Instant nextConfirm;
  private long deadlineTimer;

  /** Why the node must stop acting on its decision (null: it need not). */
  private String withdrawn;

  /** Declarative mode: why this formed node is being reset (null: it is not). */
  private String resetting;

  /** Declarative mode: the reset an operator was last told to do (logged once). */
  private String resetAdvised;

  /**
   * Whom a joiner's node must list among its members to prove it joined the cluster it was told to
   * (null: the seed or any node it was told to try).
   */
  private Set<NodeName> expectedMembers;

  /** A seed's formed marker write is in flight: its answer, not the deadline, settles the claim. */
  private boolean completing;

  private boolean requestBusy;
  private final Deque<Event> queuedRequests = new ArrayDeque<>();
  private Decision aborting;

  public FormationCore(
      CoreTuning tuning, Capabilities caps, NodeRecord node, RandomGenerator random, CoreLog log) {
    this.tuning = tuning;
    this.caps = caps;
    this.node = node;
    this.random = random;
    this.backoff = new Backoff(tuning.retryInterval(), random);
    this.log = log;
    this.attemptsLeft = tuning.retryLimit();
    node.proberExpiry(tuning.proberExpiry());
    this.path =
        switch (caps.mode()) {
          case FIXED_SEED -> new FixedSeedPath(caps.fixedSeed().orElseThrow(), caps.seedPeers());
          case LOCK -> new LockPath();
          case CONTACT_POINTS -> new ContactPointPath();
          case DECLARATIVE -> new DeclarativePath(caps.declarative().orElseThrow());
        };
    // peers are told the declarative config's version from the first answer, a rejoin's included
    caps.declarative().ifPresent(node::declared);
  }

  /** Feeds one event that happened at {@code at}; returns what to do, in order. */
  public List<Effect> handle(Instant at, Event event) {
    now = at;
    out.clear();
    try {
      // a paused agent cannot act: resumed, it checks its claim's deadline before anything else
      checkDeadline();
      dispatch(event);
    } catch (IllegalStateException | IllegalArgumentException | NullPointerException e) {
      // A record without a cluster id, a marker the rules cannot use: formation cannot go on.
      fail(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
    return List.copyOf(out);
  }

  /**
   * A peer's agent probed this one at {@code at}: record it and answer (atomic with every
   * decision).
   */
  public NodeInfo answerProbe(NodeName from, Instant at) {
    return node.probedBy(from, at);
  }

  /** The current picture, for {@code /v1/status}. */
  public FormationStatus status() {
    return new FormationStatus(
        phase,
        waitingFor,
        attemptsLeft,
        exhausted,
        failure,
        path.lockState(),
        lastAnswers,
        caps.describeMode(),
        markerState,
        withdrawn,
        answersAt);
  }

  public NodeRecord node() {
    return node;
  }

  public PeerView.Snapshot view() {
    return view;
  }

  private void dispatch(Event event) {
    if (event instanceof Event.Start s) {
      start(s);
    } else if (event instanceof Event.Stop) {
      stop();
    } else if (event instanceof Event.Crashed c) {
      fail(c.error());
    } else if (event instanceof Event.TimerFired t) {
      if (t.timer() < 0) {
        return; // the claim's deadline timer: checkDeadline() above did what there was to do
      }
      if (loop == Loop.PAUSED && t.timer() == timer) {
        wakeRequested = false;
        next();
      }
    } else if (event instanceof Event.Wake) {
      wake();
    } else if (event instanceof Event.FormedNodeReset r) {
      formedNodeReset(r.request());
    } else if (event instanceof Event.CompleteRequested || event instanceof Event.AbortRequested) {
      request(event);
    } else if (event instanceof Event.FormedWritten w) {
      completing = false;
      completed(w.request());
    } else if (event instanceof Event.FormedWriteFailed f) {
      completing = false;
      out.add(new Effect.ReplyFailed(f.request(), f.error()));
      requestDone();
      checkDeadline();
    } else if (event instanceof Event.JoinChecked j) {
      joinChecked(j);
    } else if (event instanceof Event.FormingCleared c) {
      c.error()
          .ifPresent(
              e ->
                  log.warn(
                      "Could not clear the forming marker ({}); it stays while this agent is"
                          + " registered, so this agent stays the seed when it decides again",
                      e));
      aborted(c.request());
    } else {
      answer(event);
    }
  }

  /** The answer to the loop's one operation in flight. */
  private void answer(Event event) {
    if (stopping || phase == Phase.FAILED) {
      return;
    }
    switch (loop) {
      case REGISTER -> {
        if (event instanceof Event.Registered r) {
          registered = true;
          nameTakenSince = null;
          log.info("Registered {}; next: discover peers", r.description());
          bootDone();
        } else if (event instanceof Event.NameTaken t) {
          if (nameTaken(t)) {
            // asked again well within the TTL, so the other registration is seen lapse
            pause(Duration.ofMillis(Math.max(500, t.ttl().toMillis() / 10)));
          }
        } else if (event instanceof Event.RegisterFailed f) {
          registerFailures++;
          Duration delay = backoff.afterFailure(registerFailures);
          waitingFor = "registration, which failed: " + f.error();
          log.warn(
              "Registration failed: {}. Retrying in {} ms (attempt {}; registration retries until"
                  + " it succeeds or the agent stops)",
              f.error(),
              delay.toMillis(),
              registerFailures);
          pause(delay);
        }
      }
      case REGISTER_ONCE -> {
        if (event instanceof Event.Registered r) {
          registered = true;
          nameTakenSince = null;
          log.info("Registered {}", r.description());
        } else if (event instanceof Event.NameTaken t) {
          if (!nameTaken(t)) {
            return;
          }
        } else if (event instanceof Event.RegisterFailed f) {
          log.warn(
              "Registration failed: {}; the node runs on and registration is tried again with"
                  + " the next discovery",
              f.error());
        }
        if (booting) {
          bootDone();
        } else {
          next();
        }
      }
      case PATH -> path.on(this, event);
      case RUN_DISCOVER -> {
        if (event instanceof Event.Discovered d) {
          boolean fresh = discovered(d.result());
          runFailures = fresh ? 0 : runFailures + 1;
          nextDiscover = now.plus(refreshDelay());
          // formed agents learn their cluster's members; a joiner learns whether its seed formed
          // (what a blank node that lost a seed's data must not seed beside: formation.md inv. 10)
          if (caps.asksPeers()
              && caps.fixedSeed().isEmpty()
              && (node.state() == NodeState.FORMED || node.decision() instanceof Decision.Join)) {
            Set<NodeName> targets = node.probeTargets(Map.of(), now);
            if (!targets.isEmpty()) {
              loop = Loop.RUN_LEARN;
              out.add(new Effect.Probe(targets));
              return;
            }
          }
          pause(nextRefresh());
        }
      }
      case RUN_REASSERT -> {
        if (event instanceof Event.FormedReasserted || event instanceof Event.ReassertFailed) {
          reasserted(event);
        }
      }
      case RUN_CONFIRM -> {
        if (event instanceof Event.ClaimChecked || event instanceof Event.ClaimCheckFailed) {
          confirmedInRun(event);
          discoverWhenDue();
        }
      }
      case RUN_LEARN -> {
        if (event instanceof Event.Probed p) {
          // what status shows: after formation, peers' answers as they are now (formed), not as
          // they were when this node decided
          lastAnswers(p.answers());
          node.learn(p.answers().values());
          if (node.mergeMembers(p.answers().values())) {
            Membership m = node.membership();
            out.add(new Effect.WriteMembership(m, 0));
            log.info("Cluster {} members now known: {}", m.clusterId(), m.members());
          }
          pause(nextRefresh());
        }
      }
      default -> {
        // An answer nobody waits for (the loop moved on): nothing to do.
      }
    }
  }

  private void start(Event.Start s) {
    if (loop != Loop.IDLE || booting) {
      return;
    }
    booting = true;
    if (s.record().isPresent() && outdatedByReset(s.record().get())) {
      held = s.record().get();
      node.holdsDataOf(held.clusterId());
      log.info(
          "Found membership record: cluster {}, formed at cluster config version {}; version {}"
              + " has gospel reset. Next: reset this node's data, then decide as a fresh node",
          held.clusterId(),
          held.configVersion(),
          caps.declarative().orElseThrow().inForce().version());
    } else if (s.record().isPresent() && notTheGospels(s.record().get())) {
      // declarative: its data may be another cluster's; the path decides (rejoin, or reset first)
      held = s.record().get();
      node.holdsDataOf(held.clusterId());
      log.info(
          "Found membership record: cluster {}, members {}, none of them the gospel of cluster"
              + " config version {}. Next: ask the listed nodes whether the gospel's cluster is"
              + " this one (rejoin) or another (this node's data is reset before it joins)",
          held.clusterId(),
          held.members(),
          caps.declarative().orElseThrow().inForce().version());
    } else if (s.record().isPresent()) {
      Membership m = s.record().get();
      if (!m.node().equals(node.self())) {
        foreignRecord = true;
        log.warn(
            "The membership record in the data dir was written for {}, not for this node {}"
                + " (a cloned image or a shared data dir?); rejoining as it says, but never"
                + " re-asserting its cluster {} in the store",
            m.node(),
            node.self(),
            m.clusterId());
      }
      Decision d = node.rejoin(m);
      if (caps.registers() && !foreignRecord) {
        // its registration says whose member it is, before it is (re-)registered
        out.add(new Effect.MarkMember(m.clusterId()));
      }
      log.info(
          "Found membership record: cluster {}, members {}. Decision: rejoin (no discovery);"
              + " next: the node contacts its last-seen peers",
          m.clusterId(),
          m.members());
      publish(d);
      phase = Phase.FORMED;
      if (caps.registers()) {
        // Still a member the others must see (their discovery, cleanup and joiners' lists):
        // register too, after the decision, so a backend outage never holds back the rejoin.
        loop = Loop.REGISTER_ONCE;
        out.add(new Effect.Register());
        return;
      }
    } else if (caps.registers()) {
      phase = Phase.REGISTERING;
      waitingFor = "registration with the backend";
      loop = Loop.REGISTER;
      out.add(new Effect.Register());
      return;
    }
    bootDone();
  }

  /**
   * Declarative mode with gospel {@code {node, G}}: a record whose members do not list G may hold
   * another cluster's data. (A record written for another node rejoins as it says, as elsewhere.)
   */
  private boolean notTheGospels(Membership m) {
    if (caps.declarative().isEmpty() || !m.node().equals(node.self())) {
      return false;
    }
    return caps.declarative().get().inForce().gospel() instanceof ClusterSpec.FromNode g
        && !m.members().contains(g.node())
        && !node.self().equals(g.node());
  }

  /**
   * Declarative mode with gospel {@code reset}: a record of this node decided at an older config
   * version than the one in force is reset (the Clusterer resets every node on each new version).
   */
  private boolean outdatedByReset(Membership m) {
    return caps.declarative().isPresent()
        && m.node().equals(node.self())
        && GospelReset.outdated(caps.declarative().get().inForce(), node.self(), m.configVersion());
  }

  /** Declarative mode: the record this agent found but did not rejoin from yet (else null). */
  Membership held() {
    return held;
  }

  /** Declarative mode: the held record's cluster runs the gospel's data: rejoin it after all. */
  void rejoinHeld(String why) {
    Membership m = held;
    held = null;
    log.info(
        "Decision: rejoin cluster {} ({}). Next: the node contacts its last-seen peers",
        m.clusterId(),
        why);
    publish(node.rejoin(m));
    phase = Phase.FORMED;
    next();
  }

  /** Declarative mode: the held record's data is another cluster's; it is reset before joining. */
  void resetHeld(String why) {
    held = null;
    node.dataReset();
    out.add(new Effect.ResetNode(why));
  }

  private void bootDone() {
    booting = false;
    if (caps.watches()) {
      out.add(new Effect.WatchPeers());
    }
    next();
  }

  /** The loop is free: take its next step. */
  void next() {
    if (stopping || phase == Phase.FAILED) {
      loop = Loop.IDLE;
      return;
    }
    if (booting) {
      loop = Loop.REGISTER;
      out.add(new Effect.Register());
      return;
    }
    if (requestBusy && node.decision() == null) {
      loop = Loop.PARKED;
      return;
    }
    if (node.decision() == null) {
      phase = Phase.DECIDING;
      loop = Loop.PATH;
      path.begin(this);
      return;
    }
    if (resetting != null || resetFormed()) {
      loop = Loop.IDLE; // nothing more until the node was stopped and reset
      return;
    }
    phase =
        withdrawn != null
            ? Phase.WITHDRAWN
            : node.state() == NodeState.FORMED ? Phase.FORMED : Phase.DECIDED;
    if (!registered && caps.registers()) {
      loop = Loop.REGISTER_ONCE;
      out.add(new Effect.Register());
      return;
    }
    if (reasserts() && (reassertNow || nextReassert == null || !now.isBefore(nextReassert))) {
      reassertNow = false;
      loop = Loop.RUN_REASSERT;
      out.add(new Effect.ReassertFormed(formedMarker()));
      return;
    }
    if (confirms() && (reassertNow || nextConfirm == null || !now.isBefore(nextConfirm))) {
      reassertNow = false;
      loop = Loop.RUN_CONFIRM;
      confirmSentAt = now;
      out.add(new Effect.ConfirmClaim(claim()));
      return;
    }
    discoverWhenDue();
  }

  /**
   * Declarative mode, gospel {@code reset}: a formed node whose membership was decided at an older
   * config version is reset. Under muster exec that can reset it, the core asks for it ({@link
   * Effect.ResetFormed}) and waits; otherwise the node stays as it is and an operator is told what
   * to do. True when the core now waits for the reset.
   */
  private boolean resetFormed() {
    if (caps.declarative().isEmpty() || node.state() != NodeState.FORMED) {
      return false;
    }
    DeclaredConfig config = caps.declarative().get();
    ClusterSpec spec = config.inForce();
    if (!GospelReset.outdated(spec, node.self(), node.decidedAt())) {
      if (resetAdvised != null) {
        resetAdvised = null; // a younger config no longer resets it
        waitingFor = null;
      }
      return false;
    }
    String why = GospelReset.why(spec, node.membership().clusterId(), node.decidedAt());
    if (!config.resetsNode()) {
      String what = DeclarativePath.operatorReset(node.membership(), why);
      if (!what.equals(resetAdvised)) {
        resetAdvised = what;
        log.warn("The node stays as it is, waiting for {}", what);
      }
      waitingFor = what;
      return false;
    }
    resetting = why;
    phase = Phase.RESETTING;
    waitingFor = "the node to be stopped and its data reset (" + why + ")";
    timer++; // a timer armed before no longer counts
    log.warn(
        "{}. Next: muster exec stops the node, resets its data and removes its membership record;"
            + " then this agent decides again as a fresh node, with every other listed node",
        why);
    out.add(new Effect.ResetFormed(why));
    return true;
  }

  /** Declarative mode: the node was stopped and reset as {@link #resetFormed} asked. */
  private void formedNodeReset(long request) {
    if (resetting == null) {
      out.add(new Effect.Refuse(request, "no reset was asked for"));
      return;
    }
    String why = resetting;
    resetting = null;
    resetAdvised = null;
    node.dataReset();
    out.add(new Effect.Retract());
    attemptsLeft = tuning.retryLimit();
    exhausted = false;
    path.reset();
    lastAnswers = Map.of();
    log.info("The node was stopped and reset ({}); deciding again as a fresh node", why);
    out.add(new Effect.Reply(request, why));
    next();
  }

  /** Lock backends: a seed whose node has not completed acts on a claim in the store. */
  private boolean pendingSeed() {
    return caps.mode() == Capabilities.Mode.LOCK
        && node.decision() instanceof Decision.Seed
        && node.state() == NodeState.FORMING;
  }

  /**
   * A pending seed proves its claim every {@link #confirmInterval}, and at once after a wake-up (a
   * re-registration, a watch event): it renews the lease the claim is bound to and reads the marker
   * back (formation.md invariant 9). Not while withdrawn, nor while its formed marker is being
   * written (that write's answer settles the claim).
   */
  private boolean confirms() {
    return pendingSeed() && withdrawn == null && !completing;
  }

  private Marker.Forming claim() {
    return new Marker.Forming(node.self(), node.decision().clusterId());
  }

  /**
   * How often a pending seed confirms its claim: the re-assertion interval, and at least three
   * times per TTL the store granted, so that one lost or slow answer never costs the claim.
   */
  private Duration confirmInterval() {
    Duration every = tuning.reassertInterval();
    if (claimTtl != null && claimTtl.dividedBy(3).compareTo(every) < 0) {
      every = claimTtl.dividedBy(3);
    }
    return every;
  }

  /**
   * Applies the answer to a claim confirmation (sent at {@link #confirmSentAt}); true when the
   * claim is proven, with a new deadline: the moment the request was sent (the renewal happened
   * after it) plus the TTL granted, minus a safety margin of twice the round trip and a quarter of
   * the TTL (clock-rate error, and time for the node to stop before the store can re-grant).
   */
  boolean claimConfirmed(Event answer) {
    boolean held =
        answer instanceof Event.ClaimChecked c
            && c.state().held()
            && !c.state().ttl().isZero()
            && !c.state().ttl().isNegative();
    if (held) {
      claimTtl = ((Event.ClaimChecked) answer).state().ttl(); // the next interval follows it
    }
    nextConfirm = now.plus(confirmInterval());
    if (!held) {
      return false;
    }
    Duration rtt = Duration.between(confirmSentAt, now);
    if (rtt.isNegative()) {
      rtt = Duration.ZERO;
    }
    Duration margin = rtt.multipliedBy(2).plus(claimTtl.dividedBy(4));
    claimDeadline = confirmSentAt.plus(claimTtl).minus(margin);
    deadlineTimer--;
    Duration left = Duration.between(now, claimDeadline);
    out.add(new Effect.ArmTimer(deadlineTimer, left.isNegative() ? Duration.ZERO : left));
    markerState =
        "forming by this agent, cluster "
            + node.decision().clusterId()
            + "; claim proven until "
            + claimDeadline;
    return true;
  }

  /** How long the claim is proven for from now, in ms (0 without a claim). */
  long claimMillisLeft() {
    return claimDeadline == null ? 0 : Math.max(0, Duration.between(now, claimDeadline).toMillis());
  }

  /** Marks the confirmation as sent now (the decision path's own confirmation). */
  void confirmSent() {
    confirmSentAt = now;
  }

  /** The run phase's confirmation answer: extend the claim, or withdraw, or wait for the next. */
  private void confirmedInRun(Event answer) {
    if (!confirms()) {
      return; // completed or withdrawn meanwhile
    }
    if (claimConfirmed(answer)) {
      return;
    }
    String id = node.decision().clusterId();
    if (answer instanceof Event.ClaimChecked c) {
      Marker current = c.state().current();
      if (current instanceof Marker.Formed f && f.clusterId().equals(id)) {
        return; // this seed's own formed marker: its completion is being recorded
      }
      withdraw(
          "its forming claim for cluster "
              + id
              + " is gone: the store holds "
              + describe(current)
              + (c.state().held() ? " with no lease time left" : "")
              + "; another agent may seed");
      return;
    }
    Event.ClaimCheckFailed f = (Event.ClaimCheckFailed) answer;
    markerState = "claim not confirmed: " + f.error();
    log.warn(
        "Could not confirm this seed's claim on cluster {} ({}); {} ms left before it must"
            + " withdraw; next try in {} ms",
        id,
        f.error(),
        claimMillisLeft(),
        confirmInterval().toMillis());
  }

  /** A pending seed past its deadline withdraws (unless its formed marker is being written). */
  private void checkDeadline() {
    if (claimDeadline != null
        && withdrawn == null
        && !completing
        && !stopping
        && phase != Phase.FAILED
        && pendingSeed()
        && !now.isBefore(claimDeadline)) {
      withdraw(
          "it could not prove its claim in time: the last confirmed renewal held it until "
              + claimDeadline
              + " (TTL minus a safety margin); from then on the store may give it to another"
              + " agent");
    }
  }

  /**
   * The node must stop acting on its decision: retract it, tell the driver to stop the node and
   * reset its fresh data (exec) or to fail readiness and answer abort (sidecar), and decide again
   * only once the node acknowledged with an abort request.
   */
  private void withdraw(String reason) {
    Decision d = node.decision();
    withdrawn = reason;
    claimDeadline = null;
    phase = Phase.WITHDRAWN;
    waitingFor = "the node to stop, reset its data and abort (withdrawn: " + reason + ")";
    markerState = "withdrawn: " + reason;
    log.error(
        "Withdrawing decision {} (cluster {}): {}. Next: the node stops and its fresh data is"
            + " reset (muster exec), or the node's wrapper does so on the abort answer; then it"
            + " aborts and this agent decides again (formation.md invariant 9)",
        d.action(),
        d.clusterId(),
        reason);
    out.add(new Effect.Retract());
    out.add(new Effect.Withdraw(reason));
  }

  static String describe(Marker m) {
    if (m instanceof Marker.Forming f) {
      return "forming by " + f.seed() + ", cluster " + f.clusterId();
    }
    if (m instanceof Marker.Formed f) {
      return "formed, seed " + f.seed() + ", cluster " + f.clusterId();
    }
    return "no marker";
  }

  /**
   * Lock backends: a formed agent keeps the cluster's durable {@code formed} marker in the store,
   * writing it back (put-if-absent) every {@code muster.reassert_interval} and at once after a
   * wake-up (re-registration, watch event), so a wiped or restored store cannot let a node seed
   * beside the live cluster for longer than that (formation.md invariant 10).
   */
  private boolean reasserts() {
    return caps.mode() == Capabilities.Mode.LOCK
        && node.state() == NodeState.FORMED
        && node.membership() != null
        // a record written for another node (cloned image, shared data dir) must never put its
        // cluster into this store (binding records to their node is formation.md v2 step 2)
        && !foreignRecord;
  }

  /** The formed marker as this member knows it: its cluster id, the seed it was told of. */
  private Marker.Formed formedMarker() {
    Membership m = node.membership();
    Decision d = node.decision();
    return new Marker.Formed(d != null ? d.seed() : node.self(), m.clusterId(), m.formedAt());
  }

  private void reasserted(Event event) {
    nextReassert = now.plus(tuning.reassertInterval());
    if (!reasserts()) {
      discoverWhenDue();
      return;
    }
    String id = node.membership().clusterId();
    if (event instanceof Event.FormedReasserted r) {
      Marker current = r.current();
      String state;
      if (current instanceof Marker.Formed f && f.clusterId().equals(id)) {
        state = "formed, cluster " + id;
        if (!state.equals(markerState)) {
          log.info(
              "The store holds the formed marker of cluster {}; re-asserted every {} ms",
              id,
              tuning.reassertInterval().toMillis());
        }
      } else if (current instanceof Marker.Formed f) {
        state = "formed, but for ANOTHER cluster " + f.clusterId() + " (seed " + f.seed() + ")";
        log.error(
            "The store's formed marker names cluster {} (seed {}), but this node is a member of"
                + " cluster {}: two clusters exist for one cluster name, or the store was restored"
                + " from another cluster's backup. Nothing is overwritten; an operator must"
                + " decide which cluster stays",
            f.clusterId(),
            f.seed(),
            id);
      } else if (current instanceof Marker.Forming f) {
        state = "forming by " + f.seed() + ", cluster " + f.clusterId();
        log.warn(
            "The store holds a forming marker of {} (cluster {}) while cluster {} has formed;"
                + " re-asserting formed once it is gone",
            f.seed(),
            f.clusterId(),
            id);
      } else {
        state = "absent after re-assertion";
        log.warn("The formed marker could not be written back: the store shows none; retrying");
      }
      markerState = state;
    } else if (event instanceof Event.ReassertFailed f) {
      markerState = "unknown: " + f.error();
      log.warn(
          "Could not re-assert the formed marker of cluster {} ({}); next try in {} ms",
          id,
          f.error(),
          tuning.reassertInterval().toMillis());
    }
    discoverWhenDue();
  }

  /**
   * Reads the peer list when a read is due (the first, a wake-up, the watch's safety re-read, the
   * poll interval, a retry after a failure); else pauses until the next read or re-assertion. A
   * re-assertion or claim check on its own does not re-read the list: with a watch that costs a
   * full read every {@code muster.reassert_interval} for nothing (measured: about half of an idle
   * etcd agent's CPU).
   */
  private void discoverWhenDue() {
    if (discoverNow || nextDiscover == null || !now.isBefore(nextDiscover)) {
      runDiscover();
    } else {
      pause(nextRefresh());
    }
  }

  private void runDiscover() {
    discoverNow = false;
    log.debug("Discovery request to backend {}", tuning.backend());
    loop = Loop.RUN_DISCOVER;
    out.add(new Effect.Discover());
  }

  /**
   * How long the run phase pauses: until the next read of the peer list ({@link #refreshDelay}
   * after the last one), or the next re-assertion or claim check when that comes first.
   */
  private Duration nextRefresh() {
    Duration delay =
        nextDiscover == null || discoverNow ? Duration.ZERO : Duration.between(now, nextDiscover);
    Instant due = reasserts() ? nextReassert : confirms() ? nextConfirm : now.plus(delay);
    Duration until = due == null ? Duration.ZERO : Duration.between(now, due);
    if (until.compareTo(delay) < 0) {
      delay = until;
    }
    return delay.isNegative() ? Duration.ZERO : delay;
  }

  /**
   * The delay from a read of the peer list to the next: after a failure, jittered backoff; with a
   * working watch, until it reports a change (a periodic re-read only as a safety net); else the
   * poll interval with jitter.
   */
  private Duration refreshDelay() {
    if (runFailures > 0) {
      Duration delay = backoff.afterFailure(runFailures);
      log.info(
          "Peer list is stale ({}); serving the last good list, next read in {} ms (retries until"
              + " the backend answers)",
          view.lastError(),
          delay.toMillis());
      return delay;
    }
    return caps.watches() ? WATCH_SAFETY_RESYNC : backoff.jittered(tuning.pollInterval());
  }

  /**
   * How long to wait before asking peers again while no decision is possible: the retry interval
   * (jittered) while attempts remain; once they are spent and the agent waits for as long as it
   * takes, doubling from half the interval up to 8x it, so an agent whose peers are absent for
   * hours does not keep asking them every half second. A new prober wakes the loop at once (contact
   * points), so a peer that comes up is still heard of without delay.
   */
  Duration waitBeforeAskingAgain() {
    return exhausted
        ? backoff.afterFailure((int) Math.min(exhaustedRounds + 1, 8))
        : backoff.jittered();
  }

  /** Pauses the loop; a wake-up that came while an operation was in flight ends it at once. */
  void pause(Duration delay) {
    if (wakeRequested) {
      wakeRequested = false;
      next();
      return;
    }
    loop = Loop.PAUSED;
    timer++;
    out.add(new Effect.ArmTimer(timer, delay));
  }

  private void wake() {
    if (reasserts() || confirms()) {
      reassertNow = true; // a watch event or a re-registration: the store may have lost it
    }
    discoverNow = true; // and the peer list may have changed
    switch (loop) {
      case PAUSED -> {
        timer++; // the armed timer no longer counts
        wakeRequested = false;
        next();
      }
      case PARKED -> next();
      case IDLE -> {}
      default -> wakeRequested = true;
    }
  }

  /** Issues one operation of a decision path. */
  void op(Effect operation) {
    loop = Loop.PATH;
    out.add(operation);
  }

  /** What the previous answer dropped (logged again only when it changes). */
  private List<String> lastDropped = List.of();

  /** Applies a discovery answer to the view; true when the view is fresh afterwards. */
  boolean discovered(DiscoveryResult result) {
    if (result instanceof DiscoveryResult.Peers peers) {
      if (peers.repeated() && view.everSucceeded()) {
        // the previous answer served again, not a new read: the view keeps its last read's time
        return !view.stale();
      }
      if (!peers.rejected().isEmpty()) {
        log.warn("Backend reported invalid node names, rejected: {}", peers.rejected());
      }
      if (!peers.dropped().equals(lastDropped)) {
        // said once per change, not on every read
        if (!peers.dropped().isEmpty()) {
          log.info(
              "Backend listed {} that are not peers: {}",
              peers.dropped().size() == 1 ? "1 instance" : peers.dropped().size() + " instances",
              peers.dropped());
        }
        lastDropped = peers.dropped();
      }
      setView(view.afterSuccess(peers.nodes(), now));
      node.discovered(view.peers());
      return !view.stale();
    }
    DiscoveryResult.Failure f = (DiscoveryResult.Failure) result;
    setView(view.afterFailure(f.kind().name().toLowerCase(Locale.ROOT) + ": " + f.message(), now));
    return false;
  }

  private void setView(PeerView.Snapshot next) {
    if (!next.equals(view)) {
      view = next;
      out.add(new Effect.PublishPeers(next));
    }
  }

  /**
   * Counts one attempt and logs what comes next. True when retries are exhausted and {@code
   * muster.on_exhausted = standalone} says to seed alone (lockless only).
   */
  boolean spendAttempt(String what, Duration delay) {
    int left = attemptsLeft - 1;
    attemptsLeft = Math.max(left, 0);
    if (left >= 0) {
      log.info(
          "{}. Retrying in {} ms, {}", what, delay.toMillis(), FormationStatus.attemptsLeft(left));
      return false;
    }
    boolean first = !exhausted;
    exhausted = true;
    exhaustedRounds = first ? 1 : exhaustedRounds + 1;
    if (tuning.onExhausted() == OnExhausted.STANDALONE
        && caps.mode() == Capabilities.Mode.CONTACT_POINTS) {
      log.error(
          "{}. Retries exhausted (cluster_formation.discovery_retry_limit = {}):"
              + " muster.on_exhausted = standalone, so this node seeds ALONE. If peers form"
              + " their own cluster, there will be two.",
          what,
          tuning.retryLimit());
      return true;
    }
    if (first || exhaustedRounds % EXHAUSTED_LOG_EVERY == 0) {
      log.warn(
          "{}. Retries exhausted (cluster_formation.discovery_retry_limit = {}; {} rounds since);"
              + " waiting {}: the node is not ready until a decision is possible. Retrying every"
              + " ~{} ms, logged every {} rounds",
          what,
          tuning.retryLimit(),
          exhaustedRounds,
          tuning.onExhausted() == OnExhausted.STANDALONE
              ? "although muster.on_exhausted = standalone, since only lockless backends may"
                  + " seed alone (this one decides under "
                  + caps.describeMode()
                  + ")"
              : "as muster.on_exhausted = wait says",
          delay.toMillis(),
          EXHAUSTED_LOG_EVERY);
    }
    return false;
  }

  /** Publishes a decision taken by a path (or the rejoin). */
  void publish(Decision d) {
    waitingFor = null;
    attemptsLeft = tuning.retryLimit();
    exhausted = false;
    path.reset();
    if (withdrawn == null) {
      out.add(new Effect.Publish(d));
    }
  }

  private void request(Event r) {
    if (stopping) {
      out.add(new Effect.Refuse(requestId(r), "the agent is stopping"));
      return;
    }
    if (requestBusy) {
      queuedRequests.add(r);
      return;
    }
    if (r instanceof Event.CompleteRequested c) {
      c.members().ifPresent(this::checkEvidence);
      complete(c.request());
    } else {
      abort(requestId(r));
    }
  }

  private static long requestId(Event r) {
    return r instanceof Event.AbortRequested a
        ? a.request()
        : ((Event.CompleteRequested) r).request();
  }

  private void complete(long request) {
    Decision d = node.decision();
    if (resetting != null) {
      // a completion sent before the reset was asked for (a rejoin's readiness probe): the node
      // is stopped and its record removed, so it must not write the old membership back
      out.add(new Effect.Refuse(request, "the node is being reset: " + resetting));
      return;
    }
    if (d == null) {
      out.add(new Effect.Refuse(request, "no decision has been taken yet"));
      return;
    }
    if (node.state() == NodeState.FORMED && !node.rejoining()) {
      out.add(new Effect.Reply(request, node.membership()));
      return;
    }
    if (node.rejoining()) {
      // its node is back in the recorded cluster: from now on peers see it formed
      completed(request);
      return;
    }
    if (withdrawn != null) {
      refuseWithdrawn(request);
      return;
    }
    if (d instanceof Decision.Seed && caps.mode() == Capabilities.Mode.LOCK) {
      requestBusy = true;
      completing = true;
      out.add(new Effect.WriteFormed(new Marker.Formed(node.self(), d.clusterId(), now), request));
      return;
    }
    if (d instanceof Decision.Join && caps.mode() == Capabilities.Mode.LOCK) {
      // formation.md invariant 9: a joiner completes only into the cluster the store names
      requestBusy = true;
      out.add(new Effect.VerifyJoin(request));
      return;
    }
    completed(request);
  }

  /**
   * A joiner's completion, checked against the store's marker: formed with the cluster id it was
   * told to join completes it; the seed still forming that cluster is "not yet" (the node retries);
   * anything else means the cluster it joined is not the store's, and it withdraws.
   */
  private void joinChecked(Event.JoinChecked j) {
    Decision d = node.decision();
    if (j.marker().isEmpty()) {
      out.add(
          new Effect.ReplyFailed(
              j.request(), "could not read the cluster marker to verify the join: " + j.error()));
      requestDone();
      return;
    }
    if (d == null || node.state() == NodeState.FORMED || withdrawn != null) {
      requestBusy = false;
      complete(j.request());
      drainRequests();
      return;
    }
    Marker m = j.marker().get();
    String id = d.clusterId();
    if (id == null || (m instanceof Marker.Formed f && f.clusterId().equals(id))) {
      completed(j.request());
      return;
    }
    if (Registration.PLUGIN_CLUSTER.equals(id) && m instanceof Marker.None) {
      // a cluster RabbitMQ's own plugin started has no marker until a member of ours writes it
      // (re-assertion, once completed); the node's members prove the join (checkEvidence)
      completed(j.request());
      return;
    }
    if (m instanceof Marker.Forming f && f.clusterId().equals(id)) {
      out.add(
          new Effect.Refuse(
              j.request(),
              "seed "
                  + f.seed()
                  + " has not completed cluster "
                  + id
                  + " yet; a joiner completes once it has (retry)"));
      requestDone();
      return;
    }
    withdraw(
        "the store's marker is "
            + describe(m)
            + ", not cluster "
            + id
            + " that this node was told to join: the node may be in a cluster that lost its"
            + " claim");
    refuseWithdrawn(j.request());
    requestDone();
  }

  private void refuseWithdrawn(long request) {
    out.add(
        new Effect.Refuse(
            request,
            "decision withdrawn ("
                + withdrawn
                + "): stop the node, reset its data, then POST /v1/formation/abort"));
  }

  /**
   * A joiner's node reported its cluster members: the seed it was told to join must be among them
   * (formation.md invariant 9), else it joined some other cluster (a peer that fell back alone, one
   * left from a withdrawn seed) and withdraws; the completion is then refused.
   */
  private void checkEvidence(Set<NodeName> members) {
    Decision d = node.decision();
    if (!(d instanceof Decision.Join) || node.state() == NodeState.FORMED || withdrawn != null) {
      return;
    }
    Set<NodeName> expected = expectedMembers;
    if (expected == null) {
      expected = new TreeSet<>(d.peers());
      expected.add(d.seed());
    }
    if (members.stream().anyMatch(expected::contains)) {
      return;
    }
    withdraw(
        "its node reports members "
            + new TreeSet<>(members)
            + ", none of "
            + new TreeSet<>(expected)
            + " of cluster "
            + d.clusterId()
            + ": it joined another cluster");
  }

  private void completed(long request) {
    claimDeadline = null; // a formed marker needs no lease: nothing left to fence
    Membership m = node.complete(Set.of(), now);
    out.add(new Effect.WriteMembership(m, request));
    if (caps.registers() && m.clusterId() != null) {
      out.add(new Effect.MarkMember(m.clusterId()));
    }
    phase = Phase.FORMED;
    log.info(
        "Formation complete: {} is a member of cluster {} (members known: {}). Next: keep the peer"
            + " list fresh",
        node.self(),
        m.clusterId(),
        m.members());
    wake();
    requestDone();
  }

  private void abort(long request) {
    Decision aborted;
    try {
      aborted = node.abort();
    } catch (IllegalStateException e) {
      out.add(new Effect.Refuse(request, e.getMessage()));
      return;
    }
    out.add(new Effect.Retract());
    aborting = aborted;
    if (aborted instanceof Decision.Seed && caps.mode() == Capabilities.Mode.LOCK) {
      requestBusy = true;
      out.add(new Effect.ClearForming(request));
      return;
    }
    aborted(request);
  }

  private void aborted(long request) {
    Decision aborted = aborting;
    aborting = null;
    attemptsLeft = tuning.retryLimit();
    phase = Phase.DECIDING;
    claimDeadline = null;
    claimTtl = null;
    nextConfirm = null;
    expectedMembers = null;
    if (withdrawn != null) {
      log.info(
          "The node acknowledged the withdrawal of {} {} (it stopped and reset); deciding again",
          aborted.action(),
          aborted.seed());
      withdrawn = null;
    } else {
      log.info(
          "Formation aborted by the node (was: {} {}); deciding again",
          aborted.action(),
          aborted.seed());
    }
    out.add(new Effect.Reply(request, aborted));
    requestBusy = false;
    wake();
    drainRequests();
  }

  private void requestDone() {
    requestBusy = false;
    drainRequests();
  }

  private void drainRequests() {
    while (!requestBusy && !queuedRequests.isEmpty()) {
      request(queuedRequests.poll());
    }
  }

  private void stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    loop = Loop.IDLE;
    timer++;
    if (caps.watches()) {
      out.add(new Effect.CloseWatch());
    }
    if (caps.registers()) {
      out.add(new Effect.Unregister());
    }
    while (!queuedRequests.isEmpty()) {
      out.add(new Effect.Refuse(requestId(queuedRequests.poll()), "the agent is stopping"));
    }
    phase = Phase.STOPPED;
  }

  /**
   * formation.md step 2: another live agent registered this node's name. Its registration is waited
   * out for one TTL (a replaced agent's lapses within it); if it is still there after that, the
   * agent stops with exit status 2, naming both. Returns false when it stopped.
   */
  private boolean nameTaken(Event.NameTaken t) {
    if (nameTakenSince == null) {
      nameTakenSince = now;
    }
    Duration waited = Duration.between(nameTakenSince, now);
    if (waited.compareTo(t.ttl()) >= 0) {
      String reason =
          "expected a node name no other live agent uses, but "
              + t.holder()
              + ", and still held it "
              + waited.toMillis()
              + " ms later (the TTL is "
              + t.ttl().toMillis()
              + " ms): two agents run with the same node name; give each node its own name"
              + " (muster.node_name or RABBITMQ_NODENAME)";
      fail(reason, "the agent exits with status 2");
      out.add(new Effect.Exit(reason));
      return false;
    }
    waitingFor = "the node name, which another agent has registered: " + t.holder();
    log.warn(
        "Node name {} is registered by another agent ({}); this agent registers nothing and waits"
            + " up to {} ms more for that registration to lapse (an agent that was replaced lets"
            + " it lapse within the TTL), then exits with status 2",
        node.self(),
        t.holder(),
        t.ttl().minus(waited).toMillis());
    return true;
  }

  private void fail(String error) {
    fail(error, "/health/live fails, so a supervisor restarts the agent");
  }

  private void fail(String error, String next) {
    failure = error;
    phase = Phase.FAILED;
    loop = Loop.IDLE;
    log.error(
        "Formation failed and will not continue: {}. The peer list is flagged stale and {}",
        error,
        next);
    // nothing keeps the list fresh any more: never serve it as fresh (formation.md step 7)
    setView(view.afterFailure("formation failed: " + error, now));
    out.add(new Effect.Fail(error));
  }

  // What the decision paths use.

  Instant now() {
    return now;
  }

  CoreTuning tuning() {
    return tuning;
  }

  Backoff backoff() {
    return backoff;
  }

  CoreLog log() {
    return log;
  }

  String newClusterId() {
    return ClusterIds.next(random);
  }

  /**
   * A decision path says whom the joiner's node must list to prove it joined: the seed alone for a
   * cluster still forming (nodes that joined a withdrawn seed's node list others), any known member
   * for a formed one.
   */
  void expectMembers(Set<NodeName> expected) {
    expectedMembers = Set.copyOf(expected);
  }

  void waitingFor(String what) {
    waitingFor = what;
  }

  void lastAnswers(Map<NodeName, NodeInfo> answers) {
    lastAnswers = Map.copyOf(answers);
    answersAt = now;
  }

  /** When {@link #lastAnswers} came in (null: no probe round yet). */
  private Instant answersAt;

  Map<NodeName, NodeInfo> lastAnswers() {
    return lastAnswers;
  }
}
