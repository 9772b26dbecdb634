package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.muster.agent.SidecarVertx;
import io.muster.spi.Backend;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code muster validate}: load and check a config, print what it resolves to. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description =
        "Check a config file; exit 2 with file:line: key: what was expected on any problem.")
final class ValidateCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    AgentConfig loaded = config.load();
    // everything run checks, the backend's own settings included (nothing is connected)
    List<String> warnings;
    Vertx vertx = SidecarVertx.create();
    try (Backend backend = loaded.createBackend(vertx)) {
      warnings = loaded.warnings(backend);
    } finally {
      vertx.close();
    }
    var out = spec.commandLine().getOut();
    out.println(
        "OK: "
            + loaded.config().source()
            + ": node "
            + loaded.core().nodeName()
            + ", backend "
            + loaded.factory().name()
            + ", API "
            + loaded.core().apiBind()
            + ":"
            + loaded.core().apiPort());
    loaded.config().redacted().forEach((k, v) -> printSetting(out, k, v));
    loaded.config().notes().forEach(n -> out.println("note: " + n));
    warnings.forEach(w -> out.println("warning: " + w));
    Collection<String> foreign = loaded.config().foreignKeys();
    if (!foreign.isEmpty()) {
      out.println(
          "ignored "
              + foreign.size()
              + (foreign.size() == 1 ? " key" : " keys")
              + " outside cluster_formation.* and muster.*: "
              + String.join(", ", new TreeSet<>(foreign)));
    }
    return 0;
  }

  /**
   * One line per value as it would be written: a numbered group ({@code nodes.N}, {@code
   * render.N.template}) gets one line per number, never a Java collection's toString.
   */
  static void printSetting(PrintWriter out, String pattern, Object value) {
    if (value instanceof Map<?, ?> byIndex) {
      new TreeMap<>(byIndex)
          .forEach((i, v) -> out.println("  " + pattern.replace(".N", "." + i) + " = " + v));
    } else if (value instanceof List<?> list && pattern.contains(".N")) {
      for (int i = 0; i < list.size(); i++) {
        out.println("  " + pattern.replace(".N", "." + (i + 1)) + " = " + list.get(i));
      }
    } else {
      out.println("  " + pattern + " = " + value);
    }
  }
}
