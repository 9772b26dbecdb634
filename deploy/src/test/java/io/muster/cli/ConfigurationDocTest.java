package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.backend.Backends;
import io.muster.spi.BackendFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md is {@code muster describe --all --markdown} with every backend installed
 * (this module bundles them all): fails when a key's declaration and the doc drift apart, and
 * leaves the fresh text in target/ to copy over.
 */
class ConfigurationDocTest {

  @Test
  void docsConfigurationIsWhatDescribeAllPrints() throws Exception {
    Backends installed = Backends.load();
    assertThat(installed.factories().stream().map(BackendFactory::name))
        .as("every backend module on this module's class path")
        .containsExactlyInAnyOrder(
            "aws", "classic_config", "clusterer", "consul", "dns", "etcd", "k8s");
    StringWriter fresh = new StringWriter();
    DescribeCommand.document(new PrintWriter(fresh, true), installed);
    Path doc = Path.of("..", "docs", "configuration.md");
    String written = Files.exists(doc) ? Files.readString(doc) : "";
    if (!written.equals(fresh.toString())) {
      Path out = Path.of("target", "configuration.md");
      Files.createDirectories(out.getParent());
      Files.writeString(out, fresh.toString());
      assertThat(written)
          .as(
              "docs/configuration.md is out of date: regenerate it with `java -jar"
                  + " deploy/target/muster.jar describe --all --markdown > docs/configuration.md`"
                  + " (or copy deploy/%s)",
              out)
          .isEqualTo(fresh.toString());
    }
  }
}
