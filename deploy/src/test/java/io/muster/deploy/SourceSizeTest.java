package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * conventions.md rule 8 (one class, one job): a main source file over 350 lines says why on its
 * first line ({@code // Over 350 lines: <reason>}), so a long file is a decision, not a drift.
 */
class SourceSizeTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final int LIMIT = 350;
  private static final String REASON = "// Over 350 lines: ";

  @Test
  void everyMainSourceFileOverTheLimitSaysWhyOnItsFirstLine() throws IOException {
    List<Path> sources;
    try (Stream<Path> all = Files.walk(ROOT)) {
      sources =
          all.filter(p -> p.toString().endsWith(".java"))
              .filter(p -> ROOT.relativize(p).toString().contains("src/main/java/"))
              .filter(p -> !ROOT.relativize(p).toString().contains("/target/"))
              .toList();
    }
    assertThat(sources).as("main sources found").hasSizeGreaterThan(100);
    List<String> unexplained = new ArrayList<>();
    for (Path p : sources) {
      List<String> lines = Files.readAllLines(p);
      if (lines.size() > LIMIT
          && !(lines.get(0).startsWith(REASON) && lines.get(0).length() > REASON.length() + 10)) {
        unexplained.add(ROOT.relativize(p) + " (" + lines.size() + " lines)");
      }
    }
    assertThat(unexplained)
        .as("over " + LIMIT + " lines without \"" + REASON + "<reason>\" as the first line")
        .isEmpty();
  }
}
