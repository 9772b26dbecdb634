package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.backend.Backends;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** README's Kubernetes key table is `muster describe k8s --markdown`: fails when they drift. */
class K8sReadmeTest {

  @Test
  void readmeK8sKeyTableMatchesTheDeclarations() throws Exception {
    String readme = Files.readString(Path.of("..", "..", "README.md"));
    StringWriter table = new StringWriter();
    DescribeCommand.print(new PrintWriter(table, true), Backends.load().select("k8s").keys(), true);
    assertThat(readme).contains(table.toString());
  }
}
