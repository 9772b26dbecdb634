package io.muster.config;

import io.muster.spi.NodeName;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Resolves the local node name as RabbitMQ does: {@code muster.node_name}, else {@code
 * RABBITMQ_NODENAME} (a bare prefix gets {@code @host}), else {@code rabbit@host}; the host is
 * short (first label) unless {@code RABBITMQ_USE_LONGNAME=true}.
 */
final class NodeNames {

  private NodeNames() {}

  static NodeName resolve(Config config, Map<String, String> env, Supplier<String> hostname) {
    NodeName configured = config.get(CoreKeys.NODE_NAME);
    if (configured != null) {
      return configured;
    }
    boolean longNames = "true".equalsIgnoreCase(env.getOrDefault("RABBITMQ_USE_LONGNAME", ""));
    String fromEnv = env.get("RABBITMQ_NODENAME");
    String text;
    String origin;
    if (fromEnv != null && !fromEnv.isBlank()) {
      text = fromEnv.contains("@") ? fromEnv : fromEnv + "@" + host(hostname, longNames);
      origin = "environment RABBITMQ_NODENAME";
    } else {
      text = "rabbit@" + host(hostname, longNames);
      origin = "host name";
    }
    try {
      return NodeName.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          new ConfigProblem(
              origin, "muster.node_name", "expected a valid node name: " + e.getMessage()));
    }
  }

  private static String host(Supplier<String> hostname, boolean longNames) {
    String host = hostname.get();
    if (longNames || host.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
      return host;
    }
    int dot = host.indexOf('.');
    return dot < 0 ? host : host.substring(0, dot);
  }
}
