package io.muster.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an operator's command (cleanup, reload after rendering, readiness probe) without a shell:
 * the arguments go to the program as they are, so a node name can never be read as shell syntax.
 * Every run is bounded; on time-out the command and everything it started are killed.
 */
public final class Commands {

  /** How much output is kept for logs and parsing. */
  private static final int MAX_OUTPUT = 64 * 1024;

  private Commands() {}

  /** What a command did: its exit code (-1 when it could not start or timed out) and output. */
  public record Result(int exit, String output, boolean timedOut) {
    public boolean ok() {
      return exit == 0 && !timedOut;
    }

    /** The output's last lines, for a log line. */
    public String tail() {
      String t = output.strip();
      return t.length() > 500 ? "..." + t.substring(t.length() - 500) : t;
    }
  }

  /**
   * Splits a configured command on white space into its arguments (no shell, no quoting).
   *
   * @throws IllegalArgumentException (completing "expected ...") when there is no program
   */
  public static List<String> split(String command) {
    List<String> args =
        Arrays.stream(command.trim().split("\\s+")).filter(a -> !a.isEmpty()).toList();
    if (args.isEmpty()) {
      throw new IllegalArgumentException("a command: a program and its arguments");
    }
    return args;
  }

  /** Runs {@code cmd} with the agent's environment plus {@code env}, bounded by {@code timeout}. */
  public static Result run(List<String> cmd, Map<String, String> env, Duration timeout) {
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(env);
      p = pb.start();
      p.getOutputStream().close();
    } catch (IOException e) {
      return new Result(-1, "cannot start " + cmd.get(0) + ": " + e.getMessage(), false);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> drain(p.getInputStream(), out), "muster-command-output");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        Processes.killTree(p.toHandle(), Duration.ofSeconds(2));
        reader.join(1000);
        return new Result(
            -1, text(out) + "\n(timed out after " + timeout.toMillis() + " ms)", true);
      }
      reader.join(2000);
    } catch (InterruptedException e) {
      Processes.killTree(p.toHandle(), Duration.ZERO);
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted", false);
    }
    return new Result(p.exitValue(), text(out), false);
  }

  private static void drain(InputStream in, ByteArrayOutputStream out) {
    byte[] buf = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        synchronized (out) {
          if (out.size() < MAX_OUTPUT) {
            out.write(buf, 0, Math.min(n, MAX_OUTPUT - out.size()));
          }
        }
      }
    } catch (IOException e) {
      // the process ended or was killed: what was read is kept
    }
  }

  private static String text(ByteArrayOutputStream out) {
    synchronized (out) {
      return out.toString(StandardCharsets.UTF_8);
    }
  }
}
