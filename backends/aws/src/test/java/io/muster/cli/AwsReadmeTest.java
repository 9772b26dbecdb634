package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.backend.Backends;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** README's AWS key table is `muster describe aws --markdown`: fails when they drift. */
class AwsReadmeTest {

  @Test
  void readmeAwsKeyTableMatchesTheDeclarations() throws Exception {
    String readme = Files.readString(Path.of("..", "..", "README.md"));
    StringWriter table = new StringWriter();
    DescribeCommand.print(new PrintWriter(table, true), Backends.load().select("aws").keys(), true);
    assertThat(readme).contains(table.toString());
  }
}
