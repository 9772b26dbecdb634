package io.muster.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in the repository's Markdown resolves inside it: the file exists, and a
 * {@code #anchor} names a heading of the target as GitHub slugs it. Web links are not fetched
 * (tests need no network); links that leave the repository fail.
 */
class DocLinksTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern LINK = Pattern.compile("(?<!!)\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");

  @Test
  void everyRelativeLinkResolvesInsideTheRepository() throws IOException {
    List<Path> docs = markdownFiles();
    assertThat(docs.stream().map(p -> ROOT.relativize(p).toString()))
        .as("the documents the link check reads")
        .contains("README.md", "docs/configuration.md", "docs/design/formation.md");
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path doc : docs) {
      for (String target : links(doc)) {
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
          continue; // http:, https:, mailto:
        }
        checked++;
        String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
        String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
        Path resolved = file.isEmpty() ? doc : doc.getParent().resolve(file).normalize();
        String where = ROOT.relativize(doc) + ": " + target;
        if (!resolved.startsWith(ROOT)) {
          broken.add(where + " (leaves the repository)");
        } else if (!Files.exists(resolved)) {
          broken.add(where + " (no such file)");
        } else if (anchor != null
            && resolved.toString().endsWith(".md")
            && !anchors(resolved).contains(anchor)) {
          broken.add(where + " (no heading with that anchor)");
        }
      }
    }
    assertThat(checked).as("relative links checked").isGreaterThan(20);
    assertThat(broken).as("broken links").isEmpty();
  }

  @Test
  void slugsFollowGithubsRules() {
    assertThat(slug("`bench/run`: in-JVM benchmarks")).isEqualTo("benchrun-in-jvm-benchmarks");
    assertThat(slug("Fault injection (`-Pfaults`)")).isEqualTo("fault-injection--pfaults");
    assertThat(slug("classic_config")).isEqualTo("classic_config");
  }

  private static List<Path> markdownFiles() throws IOException {
    try (Stream<Path> all = Files.walk(ROOT)) {
      return all.filter(p -> p.toString().endsWith(".md"))
          .filter(
              p -> {
                String rel = ROOT.relativize(p).toString();
                return !rel.startsWith(".")
                    && !rel.contains("/target/")
                    && !rel.contains("/src/") // resources such as describe's header: linked
                    // from where they are copied to
                    && !rel.startsWith("target/")
                    && !rel.contains("node_modules");
              })
          .sorted()
          .toList();
    }
  }

  /** Link targets outside fenced code blocks and inline code. */
  private static List<String> links(Path doc) throws IOException {
    List<String> out = new ArrayList<>();
    boolean fenced = false;
    for (String line : Files.readAllLines(doc)) {
      if (FENCE.matcher(line).find()) {
        fenced = !fenced;
        continue;
      }
      if (fenced) {
        continue;
      }
      Matcher m = LINK.matcher(line.replaceAll("`[^`]*`", "``"));
      while (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  private static Set<String> anchors(Path doc) throws IOException {
    Set<String> out = new HashSet<>();
    Set<String> seen = new HashSet<>();
    boolean fenced = false;
    for (String line : Files.readAllLines(doc)) {
      if (FENCE.matcher(line).find()) {
        fenced = !fenced;
        continue;
      }
      Matcher m = HEADING.matcher(line);
      if (!fenced && m.matches()) {
        String s = slug(m.group(1));
        String unique = s;
        for (int n = 1; !seen.add(unique); n++) {
          unique = s + "-" + n;
        }
        out.add(unique);
      }
    }
    return out;
  }

  /** GitHub's heading slug: lower case, punctuation but '-' and '_' dropped, spaces to '-'. */
  static String slug(String heading) {
    return heading
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^\\p{L}\\p{N}\\s_-]", "")
        .replace(' ', '-');
  }
}
