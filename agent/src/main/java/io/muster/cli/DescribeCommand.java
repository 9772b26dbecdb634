package io.muster.cli;

import io.muster.backend.Backends;
import io.muster.config.CoreKeys;
import io.muster.spi.BackendFactory;
import io.muster.spi.Key;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code muster describe [BACKEND]}: every key, from the same declarations the validator uses. */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description =
        "Print every key with its type, default and description: the core's, or a backend's.")
final class DescribeCommand implements Callable<Integer> {

  @Parameters(
      arity = "0..1",
      paramLabel = "BACKEND",
      description = "A backend name; omit for the core keys.")
  String backend;

  @Option(
      names = "--markdown",
      description = "Print a Markdown table (the README's tables come from this).")
  boolean markdown;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    List<Key<?>> keys;
    if (backend == null) {
      keys = new ArrayList<>(CoreKeys.ALL);
      keys.addAll(CoreKeys.COMPAT);
    } else {
      BackendFactory f;
      try {
        f = Backends.load().select(backend);
      } catch (IllegalArgumentException e) {
        // a bad argument is a usage error (exit 2) that names what was given
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "describe: no backend named \"" + backend + "\": expected " + e.getMessage());
      }
      keys = f.keys();
    }
    print(spec.commandLine().getOut(), keys, markdown);
    return 0;
  }

  static void print(PrintWriter out, List<Key<?>> keys, boolean markdown) {
    if (markdown) {
      out.println("| key | type | default | description |");
      out.println("|---|---|---|---|");
      for (Key<?> k : keys) {
        out.println(
            "| `"
                + k.pattern()
                + "` | "
                + k.type().description()
                + (k.isSecret() ? ", secret" : "")
                + " | "
                + k.defaultText()
                + " | "
                + k.description()
                + aliases(k)
                + " |");
      }
      return;
    }
    for (Key<?> k : keys) {
      out.println(k.pattern());
      out.println(
          "    type:    "
              + k.type().description()
              + (k.isSecret() ? " (secret: never printed)" : ""));
      out.println("    default: " + k.defaultText());
      out.println("    " + k.description() + aliases(k));
    }
  }

  private static String aliases(Key<?> k) {
    return k.aliases().isEmpty() ? "" : " Alias: " + String.join(", ", k.aliases()) + ".";
  }
}
