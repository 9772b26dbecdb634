package io.muster.cleanup;

import io.muster.config.Config;
import io.muster.config.CoreKeys;
import io.muster.process.Commands;
import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Node cleanup settings: RabbitMQ's {@code cluster_formation.node_cleanup.*} plus how Muster learns
 * the members and forgets one. Commands are split on white space into arguments and run without a
 * shell; {@code {node}} becomes one argument holding a validated node name.
 */
public record CleanupSettings(
    Duration interval,
    boolean onlyLogWarning,
    Optional<List<String>> membersCommand,
    Optional<List<String>> forgetCommand,
    int maxRemovals,
    Optional<Duration> absentFor,
    int maxPercent) {

  public static final Key<String> MEMBERS_COMMAND =
      Key.scalar(
          "muster.cleanup.members_command",
          KeyType.STRING,
          null,
          "Command printing the node's cluster members (rabbitmqctl cluster_status --formatter"
              + " json, or one name per line); else members are pushed with PUT /v1/members");
  public static final Key<String> FORGET_COMMAND =
      Key.scalar(
          "muster.cleanup.forget_command",
          KeyType.STRING,
          null,
          "Command removing a member, {node} replaced by its name as one argument, e.g."
              + " rabbitmqctl forget_cluster_node {node}; needed when only_log_warning = false");
  public static final Key<Integer> MAX_REMOVALS =
      Key.scalar(
          "muster.cleanup.max_removals",
          KeyType.integer(1, 1000),
          1,
          "At most this many members are removed in one pass");

  public static final Key<Duration> ABSENT_FOR =
      Key.scalar(
              "muster.cleanup.absent_for",
              KeyType.duration("s", Duration.ofSeconds(1), Duration.ofDays(30)),
              null,
              "A member is removed only once it has been missing from every fresh discovery for"
                  + " this long, over 3 reads at least")
          .withDefaultText(
              "2 x the backend's registration TTL (etcd node_ttl, Consul svc_ttl), else 3 x"
                  + " muster.discovery.poll_interval");
  public static final Key<Integer> MAX_PERCENT =
      Key.scalar(
          "muster.cleanup.max_percent",
          KeyType.integer(1, 100),
          40,
          "A pass whose missing members exceed this percentage of the cluster removes nothing (a"
              + " partial answer, not departures)");

  public static final List<Key<?>> KEYS =
      List.of(MEMBERS_COMMAND, FORGET_COMMAND, MAX_REMOVALS, ABSENT_FOR, MAX_PERCENT);

  public static CleanupSettings from(Config config) {
    Optional<List<String>> forget = config.find(FORGET_COMMAND).map(c -> args(FORGET_COMMAND, c));
    boolean onlyLog = config.get(CoreKeys.CLEANUP_ONLY_LOG);
    if (!onlyLog && forget.isEmpty()) {
      throw new InvalidSettingException(
          FORGET_COMMAND,
          "a command when cluster_formation.node_cleanup.only_log_warning = false (how to forget"
              + " a node)");
    }
    if (forget.isPresent() && forget.get().stream().noneMatch(a -> a.equals("{node}"))) {
      throw new InvalidSettingException(FORGET_COMMAND, "a command with a {node} argument");
    }
    return new CleanupSettings(
        config.get(CoreKeys.CLEANUP_INTERVAL),
        onlyLog,
        config.find(MEMBERS_COMMAND).map(c -> args(MEMBERS_COMMAND, c)),
        forget,
        config.get(MAX_REMOVALS),
        config.find(ABSENT_FOR),
        config.get(MAX_PERCENT));
  }

  private static List<String> args(Key<String> key, String command) {
    try {
      return Commands.split(command);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(key, e.getMessage());
    }
  }
}
