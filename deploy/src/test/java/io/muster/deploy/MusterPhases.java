package io.muster.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where one node's time went under {@code muster exec}, read from its agent's log (ISO-8601 UTC
 * timestamps) and the AMQP port's opening: from launch to the agent's first log line (JVM start),
 * to its decision (config, backend connect, register, lock, decide), to the broker's start (for a
 * joiner with {@code join_when = seed_ready}: waiting for the seed), to the AMQP port (broker boot,
 * joining included), and on to one cluster of all nodes. The broker's own log splits its boot where
 * RabbitMQ's muster_peer_discovery module logs: the broker's start up to its peer discovery step,
 * the wait there for the seed to form (a joiner under the shipped builtin:rabbitmq-peer-discovery
 * template), and the rest (database, joining, the remaining boot steps, AMQP). Each figure is in ms
 * (-1 where the broker's log has no such line); {@code seed} says whether the node seeded.
 */
record MusterPhases(
    String node,
    boolean seed,
    long jvmMs,
    long decideMs,
    long waitMs,
    long brokerMs,
    long toLockMs,
    long lockWaitMs,
    long clusterMs) {

  private static final Pattern LINE = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z) .*");

  /** A RabbitMQ 3.10 log line's time stamp: {@code 2026-12-04 05:30:01.123456+00:00 [info] ...}. */
  private static final Pattern BROKER_LINE =
      Pattern.compile(
          "^(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d\\.\\d+)([+-]\\d\\d:\\d\\d) .*");

  private static final Pattern LOCK_WAIT = Pattern.compile("has formed \\(after (\\d+) ms\\)");

  /**
   * @param log the agent's output ({@code muster.out})
   * @param brokerLog the broker's own log file
   * @param launchedAt when the process was started
   * @param amqpAt when its AMQP port was seen open
   * @param clusterAt when every node reported one cluster
   */
  static MusterPhases read(
      String node, Path log, Path brokerLog, Instant launchedAt, Instant amqpAt, Instant clusterAt)
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
    Instant atLock = null;
    long lockWait = -1;
    if (Files.exists(brokerLog)) {
      for (String line : Files.readAllLines(brokerLog)) {
        Matcher m = BROKER_LINE.matcher(line);
        if (atLock == null && m.matches() && line.contains("Muster peer discovery: this node's")) {
          atLock = OffsetDateTime.parse(m.group(1) + "T" + m.group(2) + m.group(3)).toInstant();
          lockWait = 0;
        }
        Matcher w = LOCK_WAIT.matcher(line);
        if (w.find()) {
          lockWait = Long.parseLong(w.group(1));
        }
      }
    }
    return new MusterPhases(
        node,
        seed,
        ms(launchedAt, first),
        ms(first, decided),
        ms(decided, started),
        ms(started, amqpAt),
        atLock == null ? -1 : ms(started, atLock),
        lockWait,
        ms(amqpAt, clusterAt));
  }

  private static long ms(Instant from, Instant to) {
    return Math.max(0, to.toEpochMilli() - from.toEpochMilli());
  }

  /** The phases in a row of the given names. */
  static List<String> names() {
    return List.of(
        "JVM start",
        "decide",
        "wait for seed",
        "broker boot+join",
        "of it: to lock",
        "in lock",
        "to one cluster");
  }

  List<Long> values() {
    return List.of(jvmMs, decideMs, waitMs, brokerMs, toLockMs, lockWaitMs, clusterMs);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%s (%s): JVM start %.2f s, decide %.2f s, wait for seed %.2f s, broker boot+join %.2f s"
            + " (of it: to the peer discovery lock %.2f s, in the lock %.2f s), to one cluster"
            + " %.2f s",
        node,
        seed ? "seed" : "joiner",
        jvmMs / 1000.0,
        decideMs / 1000.0,
        waitMs / 1000.0,
        brokerMs / 1000.0,
        toLockMs / 1000.0,
        lockWaitMs / 1000.0,
        clusterMs / 1000.0);
  }
}
