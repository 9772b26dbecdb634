package io.muster.cli;

import io.muster.agent.AgentConfig;
import java.util.concurrent.Callable;
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

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    AgentConfig loaded = config.load();
    // everything run checks, the backend's own settings included (nothing is connected)
    java.util.List<String> warnings;
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try (io.muster.spi.Backend backend = loaded.createBackend(vertx)) {
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
    loaded.config().redacted().forEach((k, v) -> out.println("  " + k + " = " + v));
    loaded.config().notes().forEach(n -> out.println("note: " + n));
    warnings.forEach(w -> out.println("warning: " + w));
    if (!loaded.config().foreignKeys().isEmpty()) {
      out.println(
          "ignored "
              + loaded.config().foreignKeys().size()
              + " keys outside cluster_formation.* and muster.*");
    }
    return 0;
  }
}
