package io.muster.spi;

import io.muster.spi.DiscoveryResult.Kind;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * A backend call that failed, described for operators: its {@link Kind} and a message that is safe
 * to log and show (it names the backend and the operation, never a secret; see {@link #scrub}).
 * Backends throw it from their futures and turn it into a {@link DiscoveryResult.Failure} with
 * {@link #asResult}; the helpers are the unwrapping, classifying and scrubbing every backend needs.
 */
public final class BackendFailure extends RuntimeException {

  private final Kind kind;

  public BackendFailure(Kind kind, String safeMessage) {
    super(safeMessage, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** This failure as a discovery answer. */
  public DiscoveryResult.Failure asResult() {
    return new DiscoveryResult.Failure(kind, getMessage());
  }

  /**
   * The failure inside the futures' wrappers ({@code CompletionException}, {@code
   * ExecutionException}).
   */
  public static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null
        && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }

  /**
   * The kind of a failure, from what any transport throws: a {@link BackendFailure}'s own kind; a
   * time-out; a refused, unroutable or unresolvable connection anywhere in the cause chain
   * (UNREACHABLE); else OTHER. Backends check their own client's errors first.
   */
  public static Kind classify(Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof BackendFailure f) {
      return f.kind();
    }
    if (c instanceof TimeoutException) {
      return Kind.TIMEOUT;
    }
    for (Throwable x = c; x != null; x = x.getCause() == x ? null : x.getCause()) {
      if (x instanceof ConnectException
          || x instanceof NoRouteToHostException
          || x instanceof UnknownHostException
          || x.getClass().getSimpleName().contains("ConnectTimeout")) {
        return Kind.UNREACHABLE;
      }
    }
    return Kind.OTHER;
  }

  /** A throwable's message, or its class's simple name when it has none. */
  public static String message(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /**
   * {@code text} cut to 300 characters with {@code secret} replaced by {@code ******} wherever it
   * occurs. A secret shorter than 4 characters is not replaced: replacing its letters everywhere
   * would reveal it.
   */
  public static String scrub(String text, Optional<String> secret) {
    String t = text.length() > 300 ? text.substring(0, 300) + "..." : text;
    if (secret.isPresent() && secret.get().length() >= 4) {
      t = t.replace(secret.get(), "******");
    }
    return t;
  }
}
