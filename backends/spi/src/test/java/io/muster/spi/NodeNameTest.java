package io.muster.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeNameTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rabbit@127.0.0.1",
        "rabbit@mq-1.mq.default.svc.cluster.local",
        "rabbit_2@host",
        "a-b@H0ST",
        "rabbit@localhost",
        "rabbit@[fd00::1]",
        "rabbit@[::1]",
        "rabbit@[::ffff:10.0.0.7]",
        "rabbit@[2001:db8:0:0:0:0:0:42]"
      })
  void acceptsWellFormedNames(String text) {
    assertThat(NodeName.parse(text).toString()).isEqualTo(text);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rabbit",
        "@host",
        "rabbit@",
        "rabbit@host@other",
        "rab bit@host",
        "rabbit@host;rm -rf /",
        "rabbit@$(reboot)",
        "rabbit@host`id`",
        "rabbit@-host",
        "rabbit@host-",
        "rabbit@a..b",
        "rabbit@.host",
        "rabbit@host.",
        "rabbit@host\nINFO forged log line",
        "rabbit@ho_st",
        "rabbit@::1",
        "rabbit@[::1",
        "rabbit@[fe80::1%eth0]",
        "rabbit@[host]",
        "rabbit@[10.0.0.1]",
        "rabbit@[::1]]",
        "rabbit@[::1];id",
        "rabbit@[1:2:3:4:5:6:7:8:9]",
        "rabbit@[]"
      })
  void rejectsAnythingThatCouldReachAShellOrForgeALogLine(String text) {
    assertThatThrownBy(() -> NodeName.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("\n");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rabbit@mq-1.example.local|rabbit@mq-1",
        "rabbit@10.0.0.7|rabbit@10.0.0.7",
        "rabbit@[fd00::7]|rabbit@[fd00::7]"
      })
  void shortNameCutsTheHostToItsFirstLabelButKeepsAddresses(String pair) {
    String[] p = pair.split("\\|");
    assertThat(NodeName.parse(p[0]).shortName().toString()).isEqualTo(p[1]);
  }

  @Test
  void anIpv6HostIsConnectedToWithoutItsBrackets() {
    assertThat(NodeName.parse("rabbit@[fd00::1]").address()).isEqualTo("fd00::1");
    assertThat(NodeName.parse("rabbit@mq-1").address()).isEqualTo("mq-1");
  }

  @Test
  void ordersByFullName() {
    assertThat(NodeName.parse("rabbit@127.0.0.1")).isLessThan(NodeName.parse("rabbit@127.0.0.2"));
  }
}
