package io.muster.agent;

import io.muster.cleanup.CleanupSettings;
import io.muster.config.CoreKeys;
import io.muster.exec.ExecSettings;
import io.muster.render.RenderSettings;
import io.muster.spi.Key;
import java.util.ArrayList;
import java.util.List;

/**
 * Every key the agent itself reads, in the order {@code muster describe} prints them: the core's
 * ({@link CoreKeys}), then those node cleanup, rendered files and {@code muster exec} declare in
 * their own packages, then the rabbitmq.conf keys accepted and ignored. Backends declare theirs in
 * their factories. Listed here, above the packages, so that {@code config} depends on none of them.
 */
public final class AgentKeys {

  private AgentKeys() {}

  public static final List<Key<?>> ALL = all();

  private static List<Key<?>> all() {
    List<Key<?>> keys = new ArrayList<>(CoreKeys.ALL);
    keys.addAll(CleanupSettings.KEYS);
    keys.addAll(RenderSettings.KEYS);
    keys.addAll(ExecSettings.KEYS);
    keys.addAll(CoreKeys.COMPAT);
    return List.copyOf(keys);
  }
}
