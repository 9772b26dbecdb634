package io.muster.spi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A validated node name, {@code prefix@host}. Names reach shell commands (rendered files, {@code
 * rabbitmqctl forget_cluster_node}), so the grammar is strict: an Erlang-style prefix of letters,
 * digits, {@code _} and {@code -}; a host that is a DNS name (RFC 1123 labels), an IPv4 address, or
 * an IPv6 address in brackets ({@code rabbit@[fd00::1]}, hex digits, colons and an embedded IPv4
 * tail only; no zone). Anything else a backend reports is rejected, never passed on.
 */
public record NodeName(String prefix, String host) implements Comparable<NodeName> {

  private static final int MAX_LENGTH = 255;
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  public NodeName {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(host, "host");
    String problem = problemWith(prefix, host);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /**
   * Parses {@code prefix@host}.
   *
   * @throws IllegalArgumentException naming what is wrong; the offending text is quoted with
   *     control characters escaped, so a hostile value cannot forge log lines
   */
  public static NodeName parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "node name longer than " + MAX_LENGTH + " characters: " + quote(text));
    }
    int at = text.indexOf('@');
    if (at < 0 || text.indexOf('@', at + 1) >= 0) {
      throw new IllegalArgumentException(
          "expected a node name of the form prefix@host, got " + quote(text));
    }
    String prefix = text.substring(0, at);
    String host = text.substring(at + 1);
    String problem = problemWith(prefix, host);
    if (problem != null) {
      throw new IllegalArgumentException(problem + " in " + quote(text));
    }
    return new NodeName(prefix, host);
  }

  /** True when {@code text} is a valid node name. */
  public static boolean isValid(String text) {
    try {
      parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String problemWith(String prefix, String host) {
    if (!PREFIX.matcher(prefix).matches()) {
      return "node name prefix must be 1-64 of [A-Za-z0-9_-], got " + quote(prefix);
    }
    if (host.isEmpty() || host.length() > 253) {
      return "node host must be 1-253 characters, got " + quote(host);
    }
    if (host.startsWith("[")) {
      return isIpv6Literal(host)
          ? null
          : "node host in brackets must be an IPv6 address, got " + quote(host);
    }
    if (host.startsWith(".") || host.endsWith(".") || host.contains("..")) {
      return "node host has an empty label: " + quote(host);
    }
    for (String label : host.split("\\.")) {
      if (!LABEL.matcher(label).matches()) {
        return "node host label must be letters, digits and inner '-', got " + quote(label);
      }
    }
    return null;
  }

  /** Quotes untrusted text for a message, escaping anything that is not printable ASCII. */
  static String quote(String text) {
    StringBuilder out = new StringBuilder("\"");
    int limit = Math.min(text.length(), 80);
    for (int i = 0; i < limit; i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    if (text.length() > limit) {
      out.append("...");
    }
    return out.append('"').toString();
  }

  /**
   * {@code [addr]} with {@code addr} an IPv6 address as {@link InetAddress} reads a literal
   * (checked by grammar and by parsing; never resolved).
   */
  private static boolean isIpv6Literal(String host) {
    if (!host.endsWith("]")) {
      return false;
    }
    String inner = host.substring(1, host.length() - 1);
    if (!IPV6_CHARS.matcher(inner).matches() || !inner.contains(":")) {
      return false;
    }
    try {
      // a literal (the grammar above guarantees no name is looked up)
      InetAddress.getByName(host); // an IPv4-mapped address comes back as IPv4: still a literal
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The host to connect to or bind: the host itself, or an IPv6 address without its brackets. */
  public String address() {
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  /** The host cut to its first label, as RabbitMQ does for short node names. */
  public NodeName shortName() {
    if (isIpv4(host) || host.startsWith("[")) {
      return this;
    }
    int dot = host.indexOf('.');
    return dot < 0 ? this : new NodeName(prefix, host.substring(0, dot));
  }

  static boolean isIpv4(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int compareTo(NodeName other) {
    return toString().compareTo(other.toString());
  }

  @Override
  public String toString() {
    return prefix + "@" + host;
  }
}
