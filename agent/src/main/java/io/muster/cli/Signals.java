package io.muster.cli;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT handed to the supervisor instead of the JVM's default (run shutdown hooks and
 * exit 143/130), so {@code muster exec} can forward them and exit with the child's status.
 */
final class Signals {

  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  @SuppressWarnings("removal")
  static void onStop(Consumer<String> handler) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), s -> handler.accept(s.getName()));
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        LOG.warn("Cannot handle SIG{} ({}); it stops the JVM directly", name, e.getMessage());
      }
    }
  }
}
