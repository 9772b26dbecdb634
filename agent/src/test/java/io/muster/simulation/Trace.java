package io.muster.simulation;

import io.muster.formation.core.Effect;
import io.muster.formation.core.Event;
import java.util.ArrayList;
import java.util.List;

/** A readable trace of a run (kept only when replaying a failure: formatting costs). */
final class Trace {

  private final boolean on;
  final List<String> lines = new ArrayList<>();

  Trace(boolean on) {
    this.on = on;
  }

  void add(long at, int agent, String what) {
    if (on) {
      lines.add(String.format("%7d ms %-4s %s", at, agent < 0 ? "" : "a" + agent, what));
    }
  }

  void add(long at, int agent, Event e, List<Effect> effects) {
    if (on) {
      add(at, agent, "<- " + e + (effects.isEmpty() ? "" : "  -> " + effects));
    }
  }
}
