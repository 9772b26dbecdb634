package io.muster.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a secret an operator keeps in a file (the peer secret, the API token): its bytes without
 * trailing line breaks, at least a minimum length. Errors are exit 2 with the key's origin and
 * never carry the secret.
 */
public final class SecretFile {

  private SecretFile() {}

  /**
   * @param origin where the key was set ({@code file:line})
   * @param key the key's name
   * @param minBytes the shortest secret accepted
   * @throws ConfigException when the file cannot be read or holds too short a secret
   */
  public static byte[] read(Path file, String origin, String key, int minBytes) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(
          new ConfigProblem(
              origin,
              key,
              "expected a readable file holding the secret, but "
                  + file
                  + " cannot be read ("
                  + e.getClass().getSimpleName()
                  + ")"));
    }
    int end = bytes.length;
    while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
      end--;
    }
    if (end < minBytes) {
      throw new ConfigException(
          new ConfigProblem(
              origin,
              key,
              "expected a secret of at least "
                  + minBytes
                  + " bytes in "
                  + file
                  + ", but it holds "
                  + end));
    }
    return Arrays.copyOf(bytes, end);
  }
}
