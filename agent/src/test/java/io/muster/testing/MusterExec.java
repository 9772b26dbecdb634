package io.muster.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helper: {@code muster exec --config CONF -- CHILD...} as a process of its own. */
public final class MusterExec {

  private MusterExec() {}

  /** Starts it on this test's class path, with a small JVM; its output goes to {@code log}. */
  public static Process start(Path conf, Path log, String... child) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "io.muster.cli.Main",
                "exec",
                "--config",
                conf.toString(),
                "--"));
    cmd.addAll(List.of(child));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }
}
