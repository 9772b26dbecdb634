package io.muster.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where one node's time went under {@code muster exec}, read from its agent's log (ISO-8601 UTC
 * timestamps) and the AMQP port's opening: from launch to the agent's first log line (JVM start),
 * to its decision (config, backend connect, register, lock, decide), to the broker's start (for a
 * joiner with {@code join_when = seed_ready}: waiting for the seed), to the AMQP port (broker boot,
 * joining included), and on to one cluster of all nodes. Each figure is in ms; {@code seed} says
 * whether the node seeded.
 */
record MusterPhases(
    String node,
    boolean seed,
    long jvmMs,
    long decideMs,
    long waitMs,
    long brokerMs,
    long clusterMs) {

  private static final Pattern LINE = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z) .*");

  /**
   * @param log the agent's output ({@code muster.out})
   * @param launchedAt when the process was started
   * @param amqpAt when its AMQP port was seen open
   * @param clusterAt when every node reported one cluster
   */
  static MusterPhases read(
      String node, Path log, Instant launchedAt, Instant amqpAt, Instant clusterAt)
      throws IOException {
    Instant first = null;
    Instant decided = null;
    Instant started = null;
    boolean seed = false;
    for (String line : Files.readAllLines(log)) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        continue; // the broker's own output
      }
      Instant at = Instant.parse(m.group(1));
      if (first == null) {
        first = at;
      }
      if (decided == null && line.contains("Decision: ")) {
        decided = at;
        seed = line.contains("Decision: seed");
      }
      if (started == null && line.contains(" - Started ")) {
        started = at;
      }
    }
    if (first == null || decided == null || started == null) {
      throw new IllegalStateException(log + ": no first line, decision or child start");
    }
    return new MusterPhases(
        node,
        seed,
        ms(launchedAt, first),
        ms(first, decided),
        ms(decided, started),
        ms(started, amqpAt),
        ms(amqpAt, clusterAt));
  }

  private static long ms(Instant from, Instant to) {
    return Math.max(0, to.toEpochMilli() - from.toEpochMilli());
  }

  /** The phases in a row of the given names. */
  static List<String> names() {
    return List.of("JVM start", "decide", "wait for seed", "broker boot+join", "to one cluster");
  }

  List<Long> values() {
    return List.of(jvmMs, decideMs, waitMs, brokerMs, clusterMs);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%s (%s): JVM start %.2f s, decide %.2f s, wait for seed %.2f s, broker boot+join %.2f s,"
            + " to one cluster %.2f s",
        node,
        seed ? "seed" : "joiner",
        jvmMs / 1000.0,
        decideMs / 1000.0,
        waitMs / 1000.0,
        brokerMs / 1000.0,
        clusterMs / 1000.0);
  }
}
