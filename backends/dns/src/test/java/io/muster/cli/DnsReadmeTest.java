package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.backend.Backends;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** README's DNS key table is `muster describe dns --markdown`: fails when they drift. */
class DnsReadmeTest {

  @Test
  void readmeDnsKeyTableMatchesTheDeclarations() throws Exception {
    String readme = Files.readString(Path.of("..", "..", "README.md"));
    StringWriter table = new StringWriter();
    DescribeCommand.print(new PrintWriter(table, true), Backends.load().select("dns").keys(), true);
    assertThat(readme).contains(table.toString());
  }
}
