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
 * optional {@code .command} run after the file changed; per file, as consul-template has them,
 * {@code .mode}, {@code .owner} and {@code .group} (applied when the agent runs as root) and {@code
 * .backup}. Templates are compiled and tried on a sample at load time, so a typo is a config error
 * (exit 2), not a broken file at run time.
 */
public record RenderSettings(
    List<RenderSettings.Item> items, Duration quiescence, Duration timeout) {

  /** One file to render. */
  public record Item(
      int index,
      String templateName,
      Template template,
      Path destination,
      Optional<List<String>> command,
      FileAttributes attributes) {

    /** An item with the default attributes (mode kept or 0644, the agent's owner, no backup). */
    public Item(
        int index,
        String templateName,
        Template template,
        Path destination,
        Optional<List<String>> command) {
      this(index, templateName, template, destination, command, FileAttributes.DEFAULTS);
    }
  }

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
  public static final Key<SortedMap<Integer, String>> MODE =
      Key.group(
          "muster.render",
          "mode",
          KeyType.of("octal file mode (e.g. 0640)", FileAttributes::parseMode),
          "File mode of the rendered file, octal (e.g. 0640); without it a file keeps its mode and"
              + " a new one gets 0644");
  public static final Key<SortedMap<Integer, String>> OWNER =
      Key.group(
          "muster.render",
          "owner",
          KeyType.of("user name or numeric uid", FileAttributes::parseAccount),
          "Owner of the rendered file (a user name or uid), set when the agent runs as root");
  public static final Key<SortedMap<Integer, String>> GROUP =
      Key.group(
          "muster.render",
          "group",
          KeyType.of("group name or numeric gid", FileAttributes::parseAccount),
          "Group of the rendered file (a group name or gid), set when the agent runs as root");
  public static final Key<SortedMap<Integer, Boolean>> BACKUP =
      Key.group(
          "muster.render",
          "backup",
          KeyType.BOOLEAN,
          "Keep the file's previous content as DESTINATION.bak (one backup) before it is replaced");
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
      List.of(TEMPLATE, DESTINATION, COMMAND, MODE, OWNER, GROUP, BACKUP, WAIT, COMMAND_TIMEOUT);

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
    for (Key<? extends Map<Integer, ?>> k : List.of(COMMAND, MODE, OWNER, GROUP, BACKUP)) {
      for (Integer i : config.get(k).keySet()) {
        if (!templates.containsKey(i)) {
          throw new InvalidSettingException(
              k, i, "muster.render." + i + ".template as well (what to render)");
        }
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
      FileAttributes attributes =
          new FileAttributes(
              Optional.ofNullable(config.get(MODE).get(i)).map(FileAttributes::permissions),
              Optional.ofNullable(config.get(OWNER).get(i)),
              Optional.ofNullable(config.get(GROUP).get(i)),
              config.get(BACKUP).getOrDefault(i, false));
      Optional<String> unknown = attributes.unknownAccount();
      if (unknown.isPresent()) {
        throw new InvalidSettingException(
            attributes.owner().isPresent() && unknown.get().startsWith("user") ? OWNER : GROUP,
            i,
            "an account that exists on this machine (no " + unknown.get() + ")");
      }
      items.add(new Item(i, t.getValue(), template, dest, command, attributes));
    }
    return new RenderSettings(List.copyOf(items), config.get(WAIT), config.get(COMMAND_TIMEOUT));
  }
}
