package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.config.CoreKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** README's key table is `muster describe --markdown`: this fails when they drift apart. */
class ReadmeTest {

  @Test
  void readmeCoreKeyTableMatchesTheDeclarations() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    StringWriter table = new StringWriter();
    List<io.muster.spi.Key<?>> keys = new ArrayList<>(CoreKeys.ALL);
    keys.addAll(CoreKeys.COMPAT);
    DescribeCommand.print(new PrintWriter(table, true), keys, true);
    assertThat(readme).contains(table.toString());
  }
}
