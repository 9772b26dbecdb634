package io.muster.cli;

import io.muster.agent.Agent;
import io.muster.config.ConfigException;
import io.muster.config.ConfigProblem;
import io.muster.log.LineLayout;
import java.io.PrintWriter;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code muster}: the agent and its tools. */
@Command(
    name = "muster",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "Cluster-formation sidecar: discovers peers and tells the local node to seed, join or rejoin.",
    subcommands = {
      RunCommand.class,
      ExecCommand.class,
      PeersCommand.class,
      ValidateCommand.class,
      DescribeCommand.class,
      BackendsCommand.class,
      StatusCommand.class,
      FormationCommand.class,
      LeaveCommand.class,
      ApplyCommand.class,
      RenderCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    String logFormat = LineLayout.problem(System.getenv());
    if (logFormat != null) {
      System.err.println(logFormat); // before anything logs
      System.exit(ConfigException.EXIT_CODE);
    }
    // gRPC (etcd backend) logs through java.util.logging: route it to logback's levels and format.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code (2 for unusable configuration). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new Main());
    return execute(cli, cli.getOut(), cli.getErr(), args);
  }

  /** Runs a command line with the given output streams (tests capture them). */
  static int execute(CommandLine cli, PrintWriter out, PrintWriter err, String... args) {
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof ConfigException ce) {
            for (ConfigProblem p : ce.problems()) {
              commandLine.getErr().println(p);
            }
            return ConfigException.EXIT_CODE;
          }
          commandLine.getErr().println("muster: " + e.getMessage());
          return 1;
        });
    return cli.execute(args);
  }

  /** {@code muster} alone: a command is missing, which is a usage error (exit 2), as picocli's. */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "muster: missing command (run, exec, validate, status, ...)");
  }

  /** The version embedded at build time. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "muster " + Agent.version(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
