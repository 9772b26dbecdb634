package io.muster.formation.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.formation.core.ClusterIds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two agent processes must not draw the same cluster ids or retry jitter. Each JVM here takes the
 * engine's random source on its main thread and draws from a new thread, as the engine does on its
 * formation thread. With {@code ThreadLocalRandom.current()} captured that way (the source before
 * this test), both processes printed the same id.
 */
class RandomSourceTest {

  /** Run in a child JVM: prints one cluster id drawn the way the formation thread draws it. */
  public static void main(String[] args) throws InterruptedException {
    var source = FormationEngine.randomSource();
    String[] id = new String[1];
    Thread formation = new Thread(() -> id[0] = ClusterIds.next(source), "muster-formation");
    formation.start();
    formation.join();
    System.out.println(id[0]);
  }

  @Test
  void twoAgentProcessesDrawDifferentClusterIds() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  RandomSourceTest.class.getName())
              .redirectErrorStream(true)
              .start();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      ids.add(new String(p.getInputStream().readAllBytes()).trim());
    }
    assertThat(ids.get(0)).matches("[0-9a-f-]{36}");
    assertThat(ids.get(1)).matches("[0-9a-f-]{36}").isNotEqualTo(ids.get(0));
  }
}
