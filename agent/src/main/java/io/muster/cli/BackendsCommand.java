package io.muster.cli;

import io.muster.backend.Backends;
import io.muster.spi.BackendFactory;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code muster backends}: the backends present in this installation. */
@Command(
    name = "backends",
    mixinStandardHelpOptions = true,
    description = "List the backends installed.")
final class BackendsCommand implements Callable<Integer> {

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    for (BackendFactory f : Backends.load().factories()) {
      spec.commandLine()
          .getOut()
          .printf(
              "%-16s %s (aliases: %s)%n",
              f.name(), f.description(), String.join(", ", f.aliases()));
    }
    return 0;
  }
}
