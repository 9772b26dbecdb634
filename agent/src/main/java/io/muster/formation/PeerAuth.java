package io.muster.formation;

import io.muster.config.ConfigException;
import io.muster.config.SecretFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and checks peer-port traffic with a secret every agent of the cluster shares ({@code
 * muster.peer.secret_file}; for RabbitMQ it may be the Erlang cookie). A probe carries the prober's
 * node name, a timestamp, a random nonce and an HMAC-SHA256 over them, the method and the path; the
 * answer carries an HMAC over the probe's nonce, the status and the body, so a prober accepts only
 * an answer made for its own request by an agent that knows the secret.
 *
 * <p>The key is derived from the secret (HMAC-SHA256 keyed by the secret over a fixed label), so
 * the secret itself is never used to sign. A request outside the clock window ({@link #WINDOW}) is
 * stale; a nonce seen within the window is a replay. Nonces are remembered only for requests whose
 * signature checked, so only a holder of the secret can fill the cache.
 */
public final class PeerAuth {

  /** How far a request's timestamp may be from this agent's clock, either way. */
  public static final Duration WINDOW = Duration.ofSeconds(30);

  public static final String TIME_HEADER = "Muster-Time";
  public static final String NONCE_HEADER = "Muster-Nonce";
  public static final String SIGNATURE_HEADER = "Muster-Signature";

  /** The shortest secret accepted (an Erlang cookie is 20 characters). */
  static final int MIN_SECRET_BYTES = 16;

  private static final String LABEL = "muster peer port v1";

  private final byte[] key;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Instant> seen = new ConcurrentHashMap<>();

  PeerAuth(byte[] secret) {
    this.key = hmac(secret, LABEL.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads the secret file: its bytes without trailing line breaks, at least {@link
   * #MIN_SECRET_BYTES} long.
   *
   * @param origin where the key was set, for the error ({@code file:line})
   * @throws ConfigException (exit 2) when the file cannot be read or is too short; the message
   *     never carries the secret
   */
  public static PeerAuth load(Path file, String origin, String key) {
    return new PeerAuth(SecretFile.read(file, origin, key, MIN_SECRET_BYTES));
  }

  /** The headers that sign a probe from {@code node} at {@code now}. */
  public Map<String, String> signRequest(String method, String path, String node, Instant now) {
    byte[] raw = new byte[16];
    random.nextBytes(raw);
    String nonce = b64(raw);
    String time = Long.toString(now.toEpochMilli());
    return Map.of(
        TIME_HEADER,
        time,
        NONCE_HEADER,
        nonce,
        SIGNATURE_HEADER,
        b64(hmac(key, requestText(method, path, node, time, nonce))));
  }

  /**
   * Checks a probe. Empty when it is signed by the secret, fresh and not seen before (its nonce is
   * then remembered); else why it is refused.
   */
  public Optional<String> checkRequest(
      String method,
      String path,
      String node,
      String time,
      String nonce,
      String signature,
      Instant now) {
    if (node == null || time == null || nonce == null || signature == null) {
      return Optional.of(
          "unsigned: a probe must carry Muster-Node, "
              + TIME_HEADER
              + ", "
              + NONCE_HEADER
              + " and "
              + SIGNATURE_HEADER
              + " (muster.peer.secret_file is set here)");
    }
    byte[] expected = hmac(key, requestText(method, path, node, time, nonce));
    if (!MessageDigest.isEqual(expected, unb64(signature))) {
      return Optional.of("the signature does not match (another secret, or a changed request)");
    }
    long at;
    try {
      at = Long.parseLong(time);
    } catch (NumberFormatException e) {
      return Optional.of(TIME_HEADER + " is not a time");
    }
    long skew = Math.abs(now.toEpochMilli() - at);
    if (skew > WINDOW.toMillis()) {
      return Optional.of(
          "stale: signed "
              + skew
              + " ms away from this agent's clock (at most "
              + WINDOW.toMillis()
              + " ms either way)");
    }
    forgetOld(now);
    if (seen.putIfAbsent(nonce, now) != null) {
      return Optional.of("replayed: this nonce was seen in the last " + WINDOW.toSeconds() + " s");
    }
    return Optional.empty();
  }

  /** The signature header of an answer to the probe that carried {@code nonce}. */
  public String signAnswer(String nonce, int status, byte[] body) {
    return b64(hmac(key, answerText(nonce, status, body)));
  }

  /** True when {@code signature} signs this answer to the probe that carried {@code nonce}. */
  public boolean checkAnswer(String nonce, int status, byte[] body, String signature) {
    return signature != null
        && MessageDigest.isEqual(hmac(key, answerText(nonce, status, body)), unb64(signature));
  }

  /** Nonces remembered now (for tests and status). */
  int remembered() {
    return seen.size();
  }

  private void forgetOld(Instant now) {
    // a nonce older than twice the window can no longer pass the freshness check
    Instant horizon = now.minus(WINDOW.multipliedBy(2));
    for (Iterator<Instant> it = seen.values().iterator(); it.hasNext(); ) {
      if (it.next().isBefore(horizon)) {
        it.remove();
      }
    }
  }

  private static byte[] requestText(
      String method, String path, String node, String time, String nonce) {
    return String.join("\n", "request", method, path, node, time, nonce)
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] answerText(String nonce, int status, byte[] body) {
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-256").digest(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    return String.join("\n", "answer", nonce, Integer.toString(status), b64(digest))
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] unb64(String text) {
    try {
      return Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }

  @Override
  public String toString() {
    return "PeerAuth[secret hidden]";
  }
}
