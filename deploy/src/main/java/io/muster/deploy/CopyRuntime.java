package io.muster.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Copies this JVM's Java runtime and class path into a directory, with a launcher, so that a
 * container without Java can run Muster: the Kubernetes manifests' init container {@code
 * muster-install} runs it from the Muster image (which has no shell to copy with) into a volume the
 * broker's container then runs {@code muster exec} from.
 *
 * <p>{@code CopyRuntime TARGET [JVM_OPTION...]} writes {@code TARGET/java} (a copy of {@code
 * java.home}), {@code TARGET/app} (each class path entry, at its path below the entries' common
 * directory), {@code TARGET/app/classpath} (the class path rebased, for {@code -cp @file}) and
 * {@code TARGET/bin/muster}, a POSIX shell launcher running Muster's CLI with the JVM options
 * given. Modes, times and relative links are kept. What an earlier run left there is replaced.
 */
public final class CopyRuntime {

  /** Muster's command line, which the launcher runs. */
  static final String MAIN = "io.muster.cli.Main";

  private CopyRuntime() {}

  public static void main(String[] args) {
    if (args.length == 0 || !args[0].startsWith("/")) {
      System.err.println(
          "usage: CopyRuntime TARGET_DIR [JVM_OPTION...]  (TARGET_DIR absolute: the launcher"
              + " names it)");
      System.exit(2);
    }
    Path target = Path.of(args[0]);
    List<Path> classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(s -> !s.isEmpty())
            .map(Path::of)
            .toList();
    try {
      Path launcher =
          copy(
              Path.of(System.getProperty("java.home")),
              classPath,
              List.of(args).subList(1, args.length),
              MAIN,
              target);
      System.out.println(
          "CopyRuntime: Java runtime and "
              + classPath.size()
              + " class path entries copied into "
              + target
              + "; run Muster with "
              + launcher);
    } catch (IOException | RuntimeException e) {
      System.err.println("CopyRuntime: cannot copy into " + target + ": " + e);
      System.exit(1);
    }
  }

  /** Copies {@code javaHome} and {@code classPath} into {@code target}; returns the launcher. */
  static Path copy(
      Path javaHome, List<Path> classPath, List<String> jvmOptions, String main, Path target)
      throws IOException {
    if (!target.isAbsolute()) {
      throw new IllegalArgumentException("the target must be absolute: " + target);
    }
    Path java = target.resolve("java");
    Path app = target.resolve("app");
    Path bin = target.resolve("bin");
    for (Path old : List.of(java, app, bin)) {
      deleteTree(old);
    }
    copyTree(javaHome, java);
    if (!Files.isExecutable(java.resolve("bin/java"))) {
      throw new IOException(javaHome + " has no executable bin/java");
    }
    List<Path> present = classPath.stream().filter(Files::exists).toList();
    Path common = commonDirectory(present);
    List<String> rebased = new ArrayList<>();
    for (Path entry : present) {
      Path copy = app.resolve(common.relativize(entry.toAbsolutePath().normalize()).toString());
      copyTree(entry, copy);
      rebased.add(copy.toString());
    }
    Files.createDirectories(app);
    Path classpathFile = app.resolve("classpath");
    Files.writeString(classpathFile, String.join(File.pathSeparator, rebased) + "\n");
    Files.createDirectories(bin);
    Path launcher = bin.resolve("muster");
    List<String> command = new ArrayList<>();
    command.add(java.resolve("bin/java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", "@" + classpathFile, main));
    Files.writeString(
        launcher,
        "#!/bin/sh\n"
            + "# Written by "
            + CopyRuntime.class.getName()
            + ": Muster's Java runtime and jars, copied out of its image.\n"
            + "exec "
            + command.stream().map(CopyRuntime::quote).collect(Collectors.joining(" "))
            + " \"$@\"\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    return launcher;
  }

  /** The deepest directory holding every entry (a directory entry counts as inside its parent). */
  private static Path commonDirectory(List<Path> entries) {
    Path common = null;
    for (Path e : entries) {
      Path parent = e.toAbsolutePath().normalize().getParent();
      if (common == null) {
        common = parent;
      } else {
        while (!parent.startsWith(common)) {
          common = common.getParent();
        }
      }
    }
    if (common == null || common.getParent() == null) {
      throw new IllegalArgumentException("the class path entries share no directory: " + entries);
    }
    return common;
  }

  /**
   * Copies a file or a tree (a link as {@code from} is followed), keeping modes and times; links
   * inside stay links, made relative where they point into the tree.
   */
  private static void copyTree(Path from, Path to) throws IOException {
    Path root = from.toRealPath();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectories(to.resolve(root.relativize(dir).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Path dst = to.resolve(root.relativize(file).toString());
            Files.createDirectories(dst.getParent());
            if (attrs.isSymbolicLink()) {
              Path link = Files.readSymbolicLink(file);
              Path resolved = file.getParent().resolve(link).normalize();
              // a link into the tree by absolute path would point back at the source
              if (link.isAbsolute() && resolved.startsWith(root)) {
                link = file.getParent().relativize(resolved);
              }
              Files.createSymbolicLink(dst, link);
            } else {
              Files.copy(file, dst, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            // modes last: a read-only directory must first take its files
            Path dst = to.resolve(root.relativize(dir).toString());
            PosixFileAttributeView view =
                Files.getFileAttributeView(dst, PosixFileAttributeView.class);
            if (view != null) {
              view.setPermissions(Files.getPosixFilePermissions(dir));
              view.setTimes(Files.getLastModifiedTime(dir), null, null);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void deleteTree(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> walk = Files.walk(path)) {
      all = walk.toList();
    }
    for (Path p : all) {
      // a directory copied read-only must be writable to be emptied
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
      }
    }
    for (Path p : all.stream().sorted(Comparator.reverseOrder()).toList()) {
      Files.delete(p);
    }
  }

  /** One shell word, single-quoted. */
  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
