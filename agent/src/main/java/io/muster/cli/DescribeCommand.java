package io.muster.cli;

import io.muster.agent.AgentKeys;
import io.muster.backend.Backends;
import io.muster.spi.BackendFactory;
import io.muster.spi.Key;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code muster describe [BACKEND]}: every key, from the same declarations the validator uses;
 * {@code --all --markdown} is docs/configuration.md, whole.
 */
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
      description = "Print Markdown tables (docs/configuration.md comes from this).")
  boolean markdown;

  @Option(
      names = "--all",
      description = "The core keys and every installed backend's, each under its own heading.")
  boolean all;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (all) {
      if (backend != null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "describe: --all describes every backend; name none with it");
      }
      if (markdown) {
        document(spec.commandLine().getOut(), Backends.load());
      } else {
        print(spec.commandLine().getOut(), AgentKeys.ALL, false);
        for (BackendFactory f : Backends.load().factories()) {
          print(spec.commandLine().getOut(), f.keys(), false);
        }
      }
      return 0;
    }
    List<Key<?>> keys;
    if (backend == null) {
      keys = AgentKeys.ALL;
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

  /**
   * docs/configuration.md: the file syntax, the core keys, then each installed backend (by name, as
   * {@link Backends#load} orders them) under a heading that is its name, so {@code
   * configuration.md#etcd} links to it.
   */
  static void document(PrintWriter out, Backends installed) {
    try (InputStream in = DescribeCommand.class.getResourceAsStream("configuration-header.md")) {
      out.print(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.println();
    out.println("## Core keys");
    out.println();
    print(out, AgentKeys.ALL, true);
    for (BackendFactory f : installed.factories()) {
      out.println();
      out.println("## " + f.name());
      out.println();
      out.println(
          f.description()
              + " Selected by `cluster_formation.peer_discovery_backend = "
              + f.name()
              + "`"
              + (f.aliases().isEmpty()
                  ? ""
                  : " (or "
                      + String.join(", ", f.aliases().stream().map(a -> "`" + a + "`").toList())
                      + ")")
              + "; how it behaves: [backends.md](backends.md#"
              + f.name()
              + ").");
      out.println();
      print(out, f.keys(), true);
    }
    out.flush();
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
                + cell(k.type().description() + (k.isSecret() ? ", secret" : ""))
                + " | "
                + cell(k.defaultText())
                + " | "
                + cell(k.description() + aliases(k))
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

  /** A table cell: a '|' would end it early (e.g. "boolean (true|false)"), so it is escaped. */
  private static String cell(String text) {
    return text.replace("|", "\\|");
  }

  private static String aliases(Key<?> k) {
    return k.aliases().isEmpty() ? "" : " Alias: " + String.join(", ", k.aliases()) + ".";
  }
}
