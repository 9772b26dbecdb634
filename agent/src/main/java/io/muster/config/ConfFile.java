package io.muster.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads rabbitmq.conf syntax (the cuttlefish format): one {@code key = value} per line, keys are
 * dot-separated words, {@code #} starts a comment (outside quotes), values may be single- or
 * double-quoted to keep a {@code #} or surrounding spaces. Syntax only: what keys mean is {@link
 * ConfigLoader}'s job.
 */
final class ConfFile {

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*");

  private ConfFile() {}

  /** Parses a file; every malformed line is reported, with its line number. */
  static List<ConfEntry> read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(
          new ConfigProblem(file.toString(), null, "cannot read config file: " + describe(e)));
    }
    return parse(file.toString(), text);
  }

  static List<ConfEntry> parse(String name, String text) {
    List<ConfEntry> entries = new ArrayList<>();
    List<ConfigProblem> problems = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String origin = name + ":" + (i + 1);
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq < 0) {
        problems.add(new ConfigProblem(origin, null, "missing '=' (expected key = value)"));
        continue;
      }
      String key = line.substring(0, eq).strip();
      if (key.isEmpty()) {
        problems.add(new ConfigProblem(origin, null, "missing key before '='"));
        continue;
      }
      if (!KEY.matcher(key).matches()) {
        problems.add(
            new ConfigProblem(
                origin,
                null,
                "malformed key "
                    + quote(key)
                    + " (expected dot-separated words of letters, digits, '_' and '-')"));
        continue;
      }
      String value;
      try {
        value = value(line.substring(eq + 1));
      } catch (IllegalArgumentException e) {
        problems.add(new ConfigProblem(origin, key, e.getMessage()));
        continue;
      }
      if (value.isEmpty()) {
        problems.add(new ConfigProblem(origin, key, "missing value after '='"));
        continue;
      }
      entries.add(new ConfEntry(key, value, origin));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return entries;
  }

  /** The value part: strips a trailing comment and surrounding quotes. */
  private static String value(String rest) {
    String s = rest.strip();
    if (s.startsWith("\"") || s.startsWith("'")) {
      char q = s.charAt(0);
      int end = s.indexOf(q, 1);
      if (end < 0) {
        throw new IllegalArgumentException("unterminated " + q + "quoted value");
      }
      String after = s.substring(end + 1).strip();
      if (!after.isEmpty() && !after.startsWith("#")) {
        throw new IllegalArgumentException("unexpected text after the quoted value");
      }
      return s.substring(1, end);
    }
    int hash = s.indexOf('#');
    return (hash < 0 ? s : s.substring(0, hash)).strip();
  }

  static String quote(String text) {
    return "\"" + text.replaceAll("[^\\x20-\\x7e]", "?") + "\"";
  }

  static String describe(IOException e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
  }
}
