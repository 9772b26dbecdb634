package io.muster.render;

import io.muster.config.Config;
import io.muster.process.Commands;
import io.muster.spi.InvalidSettingException;
import io.muster.spi.Key;
import io.muster.spi.KeyType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Files rendered from templates: {@code muster.render.N.template}, {@code .destination} and an
 * optional {@code .command} run after the file changed. Templates are compiled and tried on a
 * sample at load time, so a typo is a config error (exit 2), not a broken file at run time.
 */
public record RenderSettings(
    List<RenderSettings.Item> items, Duration quiescence, Duration timeout) {

  /** One file to render. */
  public record Item(
      int index,
      String templateName,
      Template template,
      Path destination,
      Optional<List<String>> command) {}

  public static final Key<SortedMap<Integer, String>> TEMPLATE =
      Key.group(
          "muster.render",
          "template",
          KeyType.STRING,
          "Mustache template: a file path, or builtin:rabbitmq (classic_config lines for"
              + " rabbitmq.conf), builtin:rabbitmq-peer-discovery (rabbitmq.conf lines selecting"
              + " Muster's muster_peer_discovery module: joiners boot beside the seed and wait"
              + " inside RabbitMQ's peer discovery lock), builtin:elasticsearch (unicast_hosts.txt) or builtin:plain (one"
              + " node name per line)");
  public static final Key<SortedMap<Integer, Path>> DESTINATION =
      Key.group(
          "muster.render",
          "destination",
          KeyType.PATH,
          "File the template renders to; written atomically (temporary file, then rename)");
  public static final Key<SortedMap<Integer, String>> COMMAND =
      Key.group(
          "muster.render",
          "command",
          KeyType.STRING,
          "Command run (no shell) after the file's content changed, e.g. a reload");
  public static final Key<Duration> WAIT =
      Key.scalar(
          "muster.render.wait",
          KeyType.duration("ms", Duration.ZERO, Duration.ofMinutes(10)),
          Duration.ofMillis(500),
          "Quiescence: after a peer change, render once nothing has changed for this long (at"
              + " most 4x this after the first change)");
  public static final Key<Duration> COMMAND_TIMEOUT =
      Key.scalar(
          "muster.render.command_timeout",
          KeyType.duration("s", Duration.ofMillis(100), Duration.ofHours(1)),
          Duration.ofSeconds(60),
          "Bound on one render command; a command still running then is killed");

  public static final List<Key<?>> KEYS =
      List.of(TEMPLATE, DESTINATION, COMMAND, WAIT, COMMAND_TIMEOUT);

  /**
   * @throws InvalidSettingException when an item is incomplete or its template is unusable
   */
  public static RenderSettings from(Config config) {
    Map<Integer, String> templates = config.get(TEMPLATE);
    Map<Integer, Path> destinations = config.get(DESTINATION);
    Map<Integer, String> commands = config.get(COMMAND);
    for (Integer i : destinations.keySet()) {
      if (!templates.containsKey(i)) {
        throw new InvalidSettingException(
            DESTINATION, i, "muster.render." + i + ".template as well (what to render)");
      }
    }
    for (Integer i : commands.keySet()) {
      if (!templates.containsKey(i)) {
        throw new InvalidSettingException(
            COMMAND, i, "muster.render." + i + ".template as well (what to render)");
      }
    }
    List<Item> items = new ArrayList<>();
    for (Map.Entry<Integer, String> t : templates.entrySet()) {
      int i = t.getKey();
      Path dest = destinations.get(i);
      if (dest == null) {
        throw new InvalidSettingException(
            TEMPLATE, i, "muster.render." + i + ".destination as well (where to write)");
      }
      Template template;
      try {
        template = Template.load(t.getValue());
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException(TEMPLATE, i, e.getMessage());
      }
      Optional<List<String>> command;
      try {
        command = Optional.ofNullable(commands.get(i)).map(Commands::split);
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException(COMMAND, i, e.getMessage());
      }
      items.add(new Item(i, t.getValue(), template, dest, command));
    }
    return new RenderSettings(List.copyOf(items), config.get(WAIT), config.get(COMMAND_TIMEOUT));
  }
}
