package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The init container muster-install's copy step (deploy/k8s/base): the Muster image's Java runtime
 * and jars copied into a volume, with a launcher the broker's container runs {@code muster exec}
 * with.
 */
class CopyRuntimeTest {

  @TempDir Path dir;

  @Test
  void runtimeAndClassPathAreCopiedWithModesLinksAndARebasedClassPath() throws Exception {
    Path home = Files.createDirectories(dir.resolve("image/opt/java"));
    Path javaBin = Files.createDirectories(home.resolve("bin")).resolve("java");
    Files.writeString(javaBin, "#!/bin/sh\n");
    Files.setPosixFilePermissions(javaBin, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path lib = Files.createDirectories(home.resolve("lib"));
    Files.writeString(lib.resolve("modules"), "modules");
    Files.createSymbolicLink(lib.resolve("link"), Path.of("modules"));
    Files.createSymbolicLink(lib.resolve("absolute"), lib.resolve("modules"));
    Path app = Files.createDirectories(dir.resolve("image/app"));
    Path classes = Files.createDirectories(app.resolve("classes/io"));
    Files.writeString(classes.resolve("A.class"), "A");
    Path jar = Files.createDirectories(app.resolve("libs")).resolve("a.jar");
    Files.writeString(jar, "jar");
    Path target = dir.resolve("opt/muster");
    // an earlier run's leftovers, read-only, are replaced
    Path stale = Files.createDirectories(target.resolve("app/old"));
    Files.setPosixFilePermissions(stale, PosixFilePermissions.fromString("r-xr-xr-x"));

    Path launcher =
        CopyRuntime.copy(
            home,
            List.of(app.resolve("resources"), app.resolve("classes"), jar),
            List.of("-Xmx64m", "-Dname=it's"),
            CopyRuntime.MAIN,
            target);

    assertThat(target.resolve("app/old")).doesNotExist();
    assertThat(Files.getPosixFilePermissions(target.resolve("java/bin/java")))
        .isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(Files.readSymbolicLink(target.resolve("java/lib/link")))
        .isEqualTo(Path.of("modules"));
    assertThat(Files.readSymbolicLink(target.resolve("java/lib/absolute")))
        .as("a link into the tree points into the copy")
        .isEqualTo(Path.of("modules"));
    assertThat(target.resolve("app/classes/io/A.class")).hasContent("A");
    assertThat(target.resolve("app/libs/a.jar")).hasContent("jar");
    // the missing entry (Jib names /app/resources even when it is empty) is left out
    assertThat(Files.readString(target.resolve("app/classpath")).strip())
        .isEqualTo(target.resolve("app/classes") + ":" + target.resolve("app/libs/a.jar"));
    assertThat(launcher).isEqualTo(target.resolve("bin/muster"));
    assertThat(Files.isExecutable(launcher)).isTrue();
    assertThat(Files.readAllLines(launcher))
        .last()
        .isEqualTo(
            "exec '"
                + target.resolve("java/bin/java")
                + "' '-Xmx64m' '-Dname=it'\\''s' '-cp' '@"
                + target.resolve("app/classpath")
                + "' 'io.muster.cli.Main' \"$@\"");
  }

  @Test
  void theLauncherRunsTheCopiedClassPathOnTheCopiedJava() throws Exception {
    // The real java binary (linked, as jlink's bin/java is a file: the launcher only needs it to
    // run), and this module's own classes as the class path: the launcher, the argument file and
    // the main class have to work together for real.
    Path home = Files.createDirectories(dir.resolve("home/bin"));
    Files.createSymbolicLink(
        home.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
    Path classes =
        Path.of(CopyRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path target = dir.resolve("muster");
    Path launcher =
        CopyRuntime.copy(
            home.getParent(),
            List.of(classes),
            List.of("-Xmx32m"),
            CopyRuntime.class.getName(),
            target);
    Process p = new ProcessBuilder(launcher.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(out).contains("usage: CopyRuntime TARGET_DIR");
    assertThat(p.exitValue()).isEqualTo(2);
  }
}
