package io.muster.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.agent.Agent;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The scenario every backend's {@code *SecretsFaultIT} runs under a {@link SecretScan}: node 1 of
 * the agents with the right secret as a real {@code muster run} process at DEBUG, node 2 of them in
 * this JVM, node 3 of the agents with a wrong secret; then each step below feeds what an operator
 * would see to the scan. The test gives what is backend-specific (config keys, messages).
 */
public final class SecretsRun {

  private final SecretScan scan;
  private final TestAgents right;
  private final Process run;
  private final int[] ports;

  private SecretsRun(SecretScan scan, TestAgents right, Process run, int... ports) {
    this.scan = scan;
    this.right = right;
    this.run = run;
    this.ports = ports;
  }

  /**
   * Starts the three agents, forms nodes 1 and 2 (one seeds, the other joins; each decision waits
   * at most {@code formationWait}, e.g. "30s") and waits until node 3's status shows {@code
   * refusedInStatus} (the backend refusing the wrong secret).
   */
  public static SecretsRun formed(
      SecretScan scan,
      TestAgents right,
      TestAgents wrong,
      String formationWait,
      String refusedInStatus)
      throws IOException {
    Process run =
        right.spawn(
            1,
            Map.of("MUSTER_LOG_LEVEL", "debug"),
            "io.muster.cli.Main",
            "run",
            "--config",
            "{conf}");
    Agent two = right.start(2);
    Agent bad = wrong.start(3);
    int one = right.spawnedApiPort(1);

    String formation = "/v1/formation?wait=" + formationWait;
    JsonObject d1 = new JsonObject(scan.http(one, "POST", formation));
    JsonObject d2 = new JsonObject(scan.http(two.apiPort(), "POST", formation));
    assertThat(d1.getString("action") + "," + d2.getString("action"))
        .isIn("seed,join", "join,seed");
    int seed = "seed".equals(d1.getString("action")) ? one : two.apiPort();
    scan.http(seed, "POST", "/v1/formation/complete");
    await()
        .atMost(Timing.scaled(Duration.ofSeconds(30)))
        .until(() -> AgentApi.get(bad.apiPort(), "/v1/status").contains(refusedInStatus));
    return new SecretsRun(scan, right, run, one, two.apiPort(), bad.apiPort());
  }

  /** Every operator view of the three agents, and {@code muster validate} of node 1's config. */
  public void scanOperatorViews() {
    for (int port : ports) {
      scan.operatorViews(port, "1s");
    }
    scan.cli("validate", "--config", right.configFile(1).toString());
  }

  /**
   * {@code muster validate} of node 4's config with {@code addedLines} after it, written to {@code
   * file}, must exit 2 (its problems are scanned: they must name lines and keys, not values).
   */
  public void assertValidateRejects(Path file, String... addedLines) throws IOException {
    Files.writeString(file, right.config(4) + String.join("\n", addedLines) + "\n");
    assertThat(scan.cli("validate", "--config", file.toString()).code()).isEqualTo(2);
  }

  /**
   * A backend made from {@code config} (a wrong secret): its register must fail, and the failure's
   * stack trace ("register WITH") and a discovery's result ("discover WITH") are scanned.
   */
  public void registerFailsAndDiscover(String config, String with) throws Exception {
    BackendUnderTest.with(
        config,
        backend -> {
          ExecutionException e = BackendUnderTest.registerFails(backend);
          scan.exception("register " + with, e);
          scan.add(
              "discover " + with,
              BackendUnderTest.discover(backend, Duration.ofSeconds(10)).toString());
        });
  }

  /**
   * SIGTERM to the spawned agent: it unregisters (where its backend registers) and logs its stop.
   */
  public void stop() throws InterruptedException {
    run.destroy();
    assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  /**
   * After the agents are closed: scans node 1's log, which must hold DEBUG lines and {@code
   * backendLogText} (from the backend's own DEBUG logging), then {@link SecretScan#assertClean}
   * with at least 20 captured log lines and {@code mustAppear}.
   */
  public void assertClean(String backendLogText, String... mustAppear) throws IOException {
    scan.file("muster run log (node1)", right.logFile(1));
    assertThat(right.log(1)).contains(" DEBUG ").contains(backendLogText);
    scan.assertClean(20, mustAppear);
  }
}
