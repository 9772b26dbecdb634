package io.muster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24, consul-template's {@code -dry} and {@code -once}: {@code muster render --as ...} prints
 * what the files would hold and writes nothing; {@code --once} renders them from the running
 * agent's decision and exits; usage and config mistakes exit 2.
 */
class RenderCommandIT {

  @TempDir Path dir;

  private String base(int apiPort) {
    return "muster.node_name = rabbit@127.0.0.1\nmuster.data_dir = "
        + dir.resolve("data")
        + "\nmuster.api.port = "
        + apiPort
        + "\ncluster_formation.peer_discovery_backend = classic_config\n"
        + "cluster_formation.classic_config.nodes.1 = rabbit@127.0.0.1\n"
        + "muster.allow_standalone = true\n";
  }

  private Path conf(int apiPort) throws Exception {
    Path f = dir.resolve("render.conf");
    Files.writeString(
        f,
        base(apiPort)
            + "muster.render.1.template = builtin:rabbitmq\nmuster.render.1.destination = "
            + dir.resolve("conf.d/20-cluster.conf")
            + "\nmuster.render.2.template = builtin:plain\nmuster.render.2.destination = "
            + dir.resolve("nodes.txt")
            + "\nmuster.render.2.mode = 0600\n");
    return f;
  }

  @Test
  void aDryRunPrintsEveryFileForTheDecisionGivenAndWritesNothing() throws Exception {
    Path conf = conf(7070);
    Cli.Result join =
        Cli.run(
            "render",
            "--config",
            conf.toString(),
            "--as",
            "join",
            "--peers",
            "rabbit@127.0.0.2,rabbit@127.0.0.3");
    assertThat(join.code()).as(join.err()).isZero();
    assertThat(join.out())
        .contains("> " + dir.resolve("conf.d/20-cluster.conf"))
        .contains("cluster_formation.classic_config.nodes.1 = rabbit@127.0.0.2")
        .contains("> " + dir.resolve("nodes.txt"))
        .contains("rabbit@127.0.0.2\nrabbit@127.0.0.3\nrabbit@127.0.0.1\n");
    assertThat(dir.resolve("conf.d/20-cluster.conf")).doesNotExist();
    assertThat(dir.resolve("nodes.txt")).doesNotExist();

    // without --peers the backend is asked once (classic_config: the config's own nodes)
    Cli.Result seed = Cli.run("render", "--config", conf.toString(), "--as", "seed");
    assertThat(seed.code()).as(seed.err()).isZero();
    assertThat(seed.out()).contains("rabbit@127.0.0.1");
    // a join needs somebody to join
    assertThat(Cli.run("render", "--config", conf.toString(), "--as", "join").code()).isEqualTo(2);
  }

  @Test
  void mistakesInTheCommandLineOrTheConfigExitTwo() throws Exception {
    Path conf = conf(7070);
    Cli.Result none = Cli.run("render", "--config", conf.toString());
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("--as seed|join|rejoin, or --once");
    Cli.Result both = Cli.run("render", "--config", conf.toString(), "--once", "--as", "seed");
    assertThat(both.code()).isEqualTo(2);
    Cli.Result badPeer =
        Cli.run(
            "render", "--config", conf.toString(), "--as", "join", "--peers", "rabbit@;rm -rf /");
    assertThat(badPeer.code()).isEqualTo(2);
    assertThat(badPeer.err()).contains("muster render:");
    assertThat(Cli.run("render", "--config", conf.toString(), "--as", "leader").code())
        .isEqualTo(2);
    Path bare = dir.resolve("bare.conf");
    Files.writeString(bare, base(7070));
    Cli.Result nothing = Cli.run("render", "--config", bare.toString(), "--as", "seed");
    assertThat(nothing.code()).isEqualTo(2);
    assertThat(nothing.err()).contains("no files to render");
  }

  @Test
  void onceRendersFromTheRunningAgentsDecisionAndExits() throws Exception {
    // the agent renders nothing itself here, so what is on disk is the command's doing
    try (Agent agent = Agent.start(AgentConfig.fromText("agent.conf", base(0), Map.of()))) {
      Path conf = conf(agent.apiPort());
      agent.engine().decision().get(30, TimeUnit.SECONDS);
      Cli.Result once = Cli.run("render", "--config", conf.toString(), "--once");
      assertThat(once.code()).as(once.err()).isZero();
      assertThat(once.out()).contains(dir.resolve("nodes.txt") + ": written");
      assertThat(Files.readString(dir.resolve("nodes.txt"))).isEqualTo("rabbit@127.0.0.1\n");
      assertThat(Files.getPosixFilePermissions(dir.resolve("nodes.txt")))
          .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      assertThat(Files.readString(dir.resolve("conf.d/20-cluster.conf")))
          .contains("rabbit@127.0.0.1");
    }
    // no agent answers: exit 1, said on stderr
    Cli.Result gone =
        Cli.run("render", "--config", dir.resolve("render.conf").toString(), "--once");
    assertThat(gone.code()).isEqualTo(1);
  }
}
