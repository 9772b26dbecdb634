package io.muster.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.spi.Backend;
import io.muster.spi.BackendContext;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeclaredFactoryTest {

  static final Key<String> HOST =
      Key.scalar("cluster_formation.demo.host", KeyType.STRING, "localhost", "Host");

  static final class Demo extends DeclaredFactory {
    Demo() {
      super("demo", List.of("rabbit_peer_discovery_demo"), "Demo: for the test.", List.of(HOST));
    }

    @Override
    public Backend create(BackendContext context) {
      throw new UnsupportedOperationException("not created in this test");
    }
  }

  @Test
  void whatTheConstructorDeclaresIsWhatTheFactorySaysAndThePrefixFollowsTheName() {
    Demo d = new Demo();
    assertThat(d.name()).isEqualTo("demo");
    assertThat(d.aliases()).containsExactly("rabbit_peer_discovery_demo");
    assertThat(d.description()).isEqualTo("Demo: for the test.");
    assertThat(d.keyPrefix()).isEqualTo("cluster_formation.demo");
    assertThat(d.keys()).containsExactly(HOST);
  }
}
