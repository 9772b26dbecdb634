package io.muster.backend.etcd;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.muster.spi.BackendFailure;
import io.muster.spi.DiscoveryResult.Kind;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Turns jetcd/gRPC failures into one operator-readable line that names the endpoints (and user),
 * never the password: "etcd [https://10.0.0.5:2379] (user muster): authentication failed".
 */
final class EtcdErrors {

  private final String where;
  private final Optional<String> password;

  EtcdErrors(EtcdSettings s) {
    this.where = "etcd " + s.endpointList() + s.username().map(u -> " (user " + u + ")").orElse("");
    this.password = s.password();
  }

  /** A failure of {@code operation}, as an exception carrying {@link #kind}. */
  BackendFailure failure(String operation, Throwable t) {
    Throwable cause = BackendFailure.unwrap(t);
    Kind kind = kind(cause);
    return new BackendFailure(kind, where + ": " + operation + " failed: " + describe(cause, kind));
  }

  private String describe(Throwable cause, Kind kind) {
    String msg = scrub(BackendFailure.message(cause));
    String lower = chain(cause).toLowerCase(Locale.ROOT);
    if (lower.contains("authentication failed")
        || cause instanceof EtcdException e && e.getErrorCode() == ErrorCode.UNAUTHENTICATED) {
      return "authentication failed: wrong username or password";
    }
    if (lower.contains("permission denied")) {
      return "permission denied: the user's role lacks readwrite on the /rabbitmq/ keys";
    }
    if (kind == Kind.UNREACHABLE) {
      Throwable root = cause;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String detail = root == cause ? msg : scrub(BackendFailure.message(root));
      return "unreachable (" + detail + ")";
    }
    return msg;
  }

  /** Every message in the cause chain, for matching etcd's words wherever gRPC put them. */
  private static String chain(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t;
        c != null && b.length() < 4000;
        c = c.getCause() == c ? null : c.getCause()) {
      b.append(BackendFailure.message(c)).append(" | ");
    }
    return b.toString();
  }

  private String scrub(String text) {
    return BackendFailure.scrub(text, password);
  }

  static Kind kind(Throwable cause) {
    if (cause instanceof BackendFailure f) {
      return f.kind();
    }
    if (cause instanceof TimeoutException) {
      return Kind.TIMEOUT;
    }
    String msg = chain(cause).toLowerCase(Locale.ROOT);
    if (msg.contains("authentication failed")
        || msg.contains("permission denied")
        || msg.contains("invalid auth token")
        || msg.contains("user name is empty")) {
      return Kind.AUTH;
    }
    if (cause instanceof EtcdException e) {
      return switch (e.getErrorCode()) {
        case UNAVAILABLE -> Kind.UNREACHABLE;
        case DEADLINE_EXCEEDED -> Kind.TIMEOUT;
        case UNAUTHENTICATED, PERMISSION_DENIED -> Kind.AUTH;
        default -> Kind.OTHER;
      };
    }
    if (msg.contains("unavailable") || msg.contains("connection refused")) {
      return Kind.UNREACHABLE;
    }
    return Kind.OTHER;
  }
}
