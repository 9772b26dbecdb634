package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.backend.Backends;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** README's Consul key table is `muster describe consul --markdown`: fails when they drift. */
class ConsulReadmeTest {

  @Test
  void readmeConsulKeyTableMatchesTheDeclarations() throws Exception {
    String readme = Files.readString(Path.of("..", "..", "README.md"));
    StringWriter table = new StringWriter();
    DescribeCommand.print(
        new PrintWriter(table, true), Backends.load().select("consul").keys(), true);
    assertThat(readme).contains(table.toString());
  }
}
