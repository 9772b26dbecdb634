package io.muster.simulation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;

/**
 * Runs schedules: random ones from seeds (in parallel, one world per thread), bounded-exhaustive
 * interleavings of the first steps for 2-3 agents, and, on a failure, shrinks it to the fewest
 * faults that still break an invariant and prints the trace and a one-line replay command.
 */
final class Explorer {

  /** How many first steps the exhaustive mode chooses among ({@code -Dmuster.sim.depth}). */
  static final int EXHAUSTIVE_DEPTH = Integer.getInteger("muster.sim.depth", 12);

  /** What one schedule did. */
  record Outcome(
      Scenario scenario,
      String violation,
      long events,
      long steps,
      long simulatedMs,
      Map<Fault.Kind, Integer> injected,
      long windowSeeds,
      long formedResets,
      long heldResets) {}

  /** Totals over many schedules. */
  static final class Totals {
    final AtomicLong schedules = new AtomicLong();
    final AtomicLong events = new AtomicLong();
    final AtomicLong steps = new AtomicLong();
    final AtomicLong simulatedMs = new AtomicLong();
    final AtomicLong deepest = new AtomicLong();
    final AtomicLong shallowest = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong fewestEvents = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong faultless = new AtomicLong();
    final AtomicLong windowSeeds = new AtomicLong();

    /** Formed nodes reset by a younger gospel-reset version, and schedules with any. */
    final AtomicLong formedResets = new AtomicLong();

    final AtomicLong schedulesWithFormedResets = new AtomicLong();

    /** Held records reset before their node started. */
    final AtomicLong heldResets = new AtomicLong();

    final AtomicReference<Scenario> deepestScenario = new AtomicReference<>();
    final AtomicReference<Scenario> shallowestScenario = new AtomicReference<>();
    final Map<Fault.Kind, AtomicLong> faults = new TreeMap<>();
    final AtomicReference<Outcome> firstFailure = new AtomicReference<>();

    Totals() {
      for (Fault.Kind k : Fault.Kind.values()) {
        faults.put(k, new AtomicLong());
      }
    }

    void add(Outcome o) {
      schedules.incrementAndGet();
      events.addAndGet(o.events());
      steps.addAndGet(o.steps());
      simulatedMs.addAndGet(o.simulatedMs());
      if (deepest.getAndAccumulate(o.steps(), Math::max) < o.steps()) {
        deepestScenario.set(o.scenario());
      }
      if (shallowest.getAndAccumulate(o.steps(), Math::min) > o.steps()) {
        shallowestScenario.set(o.scenario());
      }
      fewestEvents.accumulateAndGet(o.events(), Math::min);
      o.injected().forEach((k, n) -> faults.get(k).addAndGet(n));
      windowSeeds.addAndGet(o.windowSeeds());
      formedResets.addAndGet(o.formedResets());
      heldResets.addAndGet(o.heldResets());
      if (o.formedResets() > 0) {
        schedulesWithFormedResets.incrementAndGet();
      }
      if (o.injected().isEmpty()) {
        faultless.incrementAndGet();
      }
      if (o.violation() != null) {
        failures.incrementAndGet();
        firstFailure.compareAndSet(null, o);
      }
    }

    /** Schedules that broke an invariant (all of them when not stopping at the first). */
    final AtomicLong failures = new AtomicLong();

    String faultsLine() {
      StringBuilder b = new StringBuilder();
      faults.forEach(
          (k, n) -> {
            if (n.get() > 0) {
              b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(n.get());
            }
          });
      return b.toString();
    }
  }

  static Outcome run(Scenario s) {
    Sim sim = new Sim(s, false, null);
    String v = sim.run();
    return new Outcome(
        s,
        v,
        sim.events,
        sim.steps,
        sim.now,
        Map.copyOf(sim.injected),
        sim.checker.windowSeeds,
        sim.formedResets,
        sim.heldResets);
  }

  /**
   * Runs {@code count} random schedules from seeds {@code base .. base+count-1}, lock and lockless
   * alternately, in parallel; stops early after the first failure when {@code stopAtFailure}.
   */
  static Totals search(
      long base,
      long count,
      Set<Fault.Kind> kinds,
      Scenario.Mutation mutation,
      Boolean lockOnly,
      boolean stopAtFailure) {
    return search(base, count, kinds, mutation, lockOnly, stopAtFailure, new Totals());
  }

  /** As above, adding to {@code t}. */
  static Totals search(
      long base,
      long count,
      Set<Fault.Kind> kinds,
      Scenario.Mutation mutation,
      Boolean lockOnly,
      boolean stopAtFailure,
      Totals t) {
    LongStream.range(base, base + count)
        .parallel()
        .forEach(
            seed -> {
              if (stopAtFailure && t.firstFailure.get() != null) {
                return;
              }
              boolean lock = lockOnly != null ? lockOnly : (seed & 1) == 0;
              t.add(run(Scenario.random(seed, lock, kinds, mutation)));
            });
    return t;
  }

  /** Runs {@code count} random lockless schedules deciding by a declarative config. */
  static Totals searchDeclarative(long base, long count, Set<Fault.Kind> kinds) {
    return searchDeclarative(base, count, kinds, new Totals());
  }

  /** As above, adding to {@code t}; stops early after the first failure. */
  static Totals searchDeclarative(long base, long count, Set<Fault.Kind> kinds, Totals t) {
    return searchDeclarative(base, count, kinds, Scenario.Mutation.NONE, t);
  }

  /** As above, of a deliberately broken variant ({@code mutation}). */
  static Totals searchDeclarative(
      long base, long count, Set<Fault.Kind> kinds, Scenario.Mutation mutation, Totals t) {
    LongStream.range(base, base + count)
        .parallel()
        .forEach(
            seed -> {
              if (t.firstFailure.get() != null) {
                return;
              }
              t.add(run(Scenario.randomDeclarative(seed, kinds, mutation)));
            });
    return t;
  }

  /**
   * Every choice of which agent moves next among the first {@link #EXHAUSTIVE_DEPTH} steps (up to
   * {@code depth}) for a fault-free boot of {@code agents} agents; returns schedules run and the
   * first violation, if any.
   */
  static Totals exhaustive(boolean lock, int agents, int depth, long seed) {
    Totals t = new Totals();
    List<Integer> prefix = new ArrayList<>();
    while (true) {
      List<Integer> options = new ArrayList<>();
      List<Integer> chosen = new ArrayList<>();
      Scenario s = new Scenario(seed, lock, agents, List.of(), Scenario.Mutation.NONE);
      Sim sim =
          new Sim(
              s,
              false,
              n -> {
                int i = chosen.size();
                int c = i < prefix.size() ? prefix.get(i) : 0;
                if (i < depth) {
                  chosen.add(c);
                  options.add(n);
                }
                return Math.min(c, n - 1);
              });
      String v = sim.run();
      t.add(
          new Outcome(
              s,
              v == null ? null : v + " (choices " + chosen + ")",
              sim.events,
              sim.steps,
              sim.now,
              Map.of(),
              0,
              0,
              0));
      // next choice sequence: odometer over the options seen
      int i = chosen.size() - 1;
      while (i >= 0 && chosen.get(i) + 1 >= options.get(i)) {
        i--;
      }
      if (i < 0) {
        return t;
      }
      prefix.clear();
      prefix.addAll(chosen.subList(0, i));
      prefix.add(chosen.get(i) + 1);
    }
  }

  /** The trace of one exhaustive-mode schedule, given its choices. */
  static List<String> exhaustiveTrace(boolean lock, int agents, long seed, List<Integer> choices) {
    Scenario s = new Scenario(seed, lock, agents, List.of(), Scenario.Mutation.NONE);
    int[] i = {0};
    Sim sim =
        new Sim(s, true, n -> Math.min(i[0] < choices.size() ? choices.get(i[0]++) : 0, n - 1));
    String v = sim.run();
    List<String> out = new ArrayList<>(sim.trace.lines);
    out.add("violation: " + v);
    return out;
  }

  /** Removes faults one at a time while the schedule still fails. */
  static Scenario shrink(Scenario failing) {
    Scenario s = failing;
    boolean progress = true;
    while (progress) {
      progress = false;
      for (int i = 0; i < s.faults().size(); i++) {
        List<Fault> fewer = new ArrayList<>(s.faults());
        fewer.remove(i);
        Scenario candidate = s.withFaults(fewer);
        if (run(candidate).violation() != null) {
          s = candidate;
          progress = true;
          break;
        }
      }
    }
    return s;
  }

  /** The failure, shrunk, with its trace and a command that replays it. */
  static String report(Scenario failing, int traceLines) {
    Scenario shrunk = shrink(failing);
    Sim sim = new Sim(shrunk, true, null);
    String v = sim.run();
    List<String> lines = sim.trace.lines;
    int from = Math.max(0, lines.size() - traceLines);
    StringBuilder b = new StringBuilder();
    b.append("violation: ").append(v).append('\n');
    b.append("scenario (shrunk): ").append(shrunk).append('\n');
    b.append("replay: ").append(replayCommand(shrunk)).append('\n');
    b.append("trace (last ").append(lines.size() - from).append(" of ").append(lines.size());
    b.append(" lines):\n");
    lines.subList(from, lines.size()).forEach(l -> b.append("  ").append(l).append('\n'));
    return b.toString();
  }

  static String replayCommand(Scenario s) {
    return "mvn -B -q -pl agent -am test -Dtest=SimulationReplayTest -Dsurefire.failIfNoSpecifiedTests=false"
        + " -Dmuster.sim.replay='"
        + encode(s)
        + "'";
  }

  /** {@code lock|lockless:seed:agents:mutation:KIND/target/at/duration,...} */
  static String encode(Scenario s) {
    StringBuilder b = new StringBuilder();
    b.append(s.model()).append(':').append(s.seed()).append(':');
    b.append(s.agents()).append(':').append(s.mutation()).append(':');
    for (int i = 0; i < s.faults().size(); i++) {
      Fault f = s.faults().get(i);
      b.append(i == 0 ? "" : ",").append(f.kind()).append('/').append(f.target()).append('/');
      b.append(f.at()).append('/').append(f.duration());
    }
    return b.toString();
  }

  static Scenario decode(String text) {
    String[] p = text.split(":", -1);
    List<Fault> faults = new ArrayList<>();
    if (p.length > 4 && !p[4].isEmpty()) {
      for (String f : p[4].split(",")) {
        String[] q = f.split("/");
        faults.add(
            new Fault(
                Fault.Kind.valueOf(q[0]),
                Integer.parseInt(q[1]),
                Long.parseLong(q[2]),
                Long.parseLong(q[3])));
      }
    }
    return new Scenario(
        Long.parseLong(p[1]),
        p[0].equals("lock"),
        Integer.parseInt(p[2]),
        faults,
        Scenario.Mutation.valueOf(p[3]),
        p[0].equals("declarative"));
  }
}
