package io.muster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {

  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  private Result run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    var out = new java.io.StringWriter();
    var err = new java.io.StringWriter();
    int code =
        Main.execute(
            cli, new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void typoInAKeyExitsTwoNamingFileLineAndKey() throws Exception {
    Path conf = dir.resolve("typo.conf");
    Files.writeString(
        conf,
        "cluster_formation.peer_discovery_backend = classic_config\n"
            + "cluster_formation.clasic_config.nodes.1 = rabbit@a\n");
    Result r = run("validate", "--config", conf.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            conf
                + ":2: cluster_formation.clasic_config.nodes.1: unknown key; did you mean cluster_formation.classic_config.nodes.1?");
  }

  @Test
  void validConfigValidatesAndShowsTheResolvedNode() throws Exception {
    Path conf = dir.resolve("ok.conf");
    Files.writeString(
        conf,
        "muster.node_name = rabbit@127.0.0.1\ncluster_formation.classic_config.nodes.1 = rabbit@127.0.0.1\n");
    Result r = run("validate", "--config", conf.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("OK: " + conf + ": node rabbit@127.0.0.1, backend classic_config");
  }

  @Test
  void selectingABackendWhoseModuleIsAbsentNamesTheModule() throws Exception {
    Path conf = dir.resolve("etcd.conf");
    Files.writeString(
        conf,
        "muster.node_name = rabbit@a\ncluster_formation.peer_discovery_backend = rabbit_peer_discovery_etcd\n");
    Result r = run("validate", "--config", conf.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains(
            conf
                + ":2: cluster_formation.peer_discovery_backend: expected backend etcd is provided by module muster-backend-etcd");
  }

  @Test
  void missingConfigFileExitsTwo() {
    Result r = run("validate", "--config", dir.resolve("nope.conf").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("nope.conf: cannot read config file");
  }

  @Test
  void peersPrintsTheConfiguredNodesSorted() throws Exception {
    Path conf = dir.resolve("c.conf");
    Files.writeString(
        conf,
        "muster.node_name = rabbit@b\ncluster_formation.classic_config.nodes.1 = rabbit@b\ncluster_formation.classic_config.nodes.2 = rabbit@a\n");
    Result r = run("peers", "--config", conf.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("rabbit@a\nrabbit@b\n");
  }

  @Test
  void describePrintsEveryCoreKeyWithItsDefault() {
    Result r = run("describe");
    assertThat(r.out())
        .contains(
            "cluster_formation.discovery_retry_limit\n    type:    integer 0..1000000\n    default: 10")
        .contains("muster.api.bind")
        .contains("default: 127.0.0.1");
    Result classic = run("describe", "classic_config", "--markdown");
    assertThat(classic.out())
        .contains(
            "| `cluster_formation.classic_config.nodes.N` | node name (prefix@host) | (empty) |");
  }
}
