package io.muster.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
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

  /** One word of a key; checked word by word (a regex repeating a group recurses per word). */
  private static final Pattern WORD = Pattern.compile("[A-Za-z0-9_$-]+");

  private ConfFile() {}

  /** Parses a file; every malformed line is reported, with its line number. */
  static List<ConfEntry> read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(
          new ConfigProblem(file.toString(), null, "cannot read config file: " + describe(e)));
    }
    return parse(file.toString(), decode(file.toString(), bytes));
  }

  /** Decodes UTF-8 strictly; a bad byte is reported with its line, as any other line problem. */
  private static String decode(String name, byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = StandardCharsets.UTF_8.newDecoder().decode(in, out, true);
    if (result.isError()) {
      int line = 1;
      for (int i = 0; i < in.position(); i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      throw new ConfigException(
          new ConfigProblem(
              name + ":" + line,
              null,
              "bytes that are not UTF-8 (expected UTF-8 text; byte "
                  + String.format("0x%02x", bytes[in.position()] & 0xff)
                  + ")"));
    }
    return out.flip().toString();
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
        problems.add(
            new ConfigProblem(origin, null, "missing key before '=' (expected key = value)"));
        continue;
      }
      if (!wellFormed(key)) {
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
        problems.add(
            new ConfigProblem(
                origin,
                key,
                "missing value after '=' (expected a value, or quotes around a blank)"));
        continue;
      }
      entries.add(new ConfEntry(key, value, origin));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return entries;
  }

  /** Dot-separated words of letters, digits, '_', '$' and '-'. */
  private static boolean wellFormed(String key) {
    for (String word : key.split("\\.", -1)) {
      if (!WORD.matcher(word).matches()) {
        return false;
      }
    }
    return true;
  }

  /** The value part: strips a trailing comment and surrounding quotes. */
  private static String value(String rest) {
    String s = rest.strip();
    if (s.startsWith("\"") || s.startsWith("'")) {
      char q = s.charAt(0);
      int end = s.indexOf(q, 1);
      if (end < 0) {
        throw new IllegalArgumentException(
            "unterminated quoted value (expected a closing " + q + ")");
      }
      String after = s.substring(end + 1).strip();
      if (!after.isEmpty() && !after.startsWith("#")) {
        throw new IllegalArgumentException(
            "unexpected text after the quoted value (expected at most a # comment)");
      }
      return s.substring(1, end);
    }
    int hash = s.indexOf('#');
    return (hash < 0 ? s : s.substring(0, hash)).strip();
  }

  /**
   * A value as config errors print it: in double quotes, anything outside printable ASCII as {@code
   * ?}, so a problem stays one line whatever the file held.
   */
  public static String quote(String text) {
    return "\"" + text.replaceAll("[^\\x20-\\x7e]", "?") + "\"";
  }

  static String describe(IOException e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
  }
}
