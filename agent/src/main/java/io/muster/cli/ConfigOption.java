package io.muster.cli;

import io.muster.agent.AgentConfig;
import io.muster.config.ConfigException;
import io.muster.config.ConfigProblem;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config} option shared by commands that read a config file. */
final class ConfigOption {

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description =
          "rabbitmq.conf-style file (cluster_formation.* and muster.* keys; other keys are ignored).")
  Path file;

  AgentConfig load() {
    if (file == null) {
      // formation.md invariant 8: no config is no cluster, never a cluster of one
      throw new ConfigException(
          new ConfigProblem(
              "command line",
              "--config",
              "expected a config file: without one nothing says which nodes form the cluster"));
    }
    return AgentConfig.load(file, System.getenv());
  }
}
