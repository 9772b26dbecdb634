package io.muster.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.muster.cli.Cli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Test fixture for "secrets never reach an operator": collects everything an operator can see of a
 * run (log lines of in-JVM agents at DEBUG, log files of spawned agents, every API answer with its
 * headers, CLI output, exception messages and stack traces) and asserts that no secret value
 * appears, neither as is nor in a trivially encoded form (base64 of the value or of {@code
 * user:value}, URL- or JSON-escaped) nor as any 10-character piece of it. The report names how much
 * was read, and {@link #assertClean} also demands that given non-secret values were seen, so a scan
 * that read nothing (or the wrong thing) fails too.
 */
public final class SecretScan implements AutoCloseable {

  private static final int PIECE = 10;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String name;
  private final List<String> secrets = new ArrayList<>();
  private final Map<String, String> forms = new LinkedHashMap<>();
  private final Map<String, StringBuilder> material = new LinkedHashMap<>();
  private final List<String> logLines = new ArrayList<>();
  private LogCapture capture;

  private SecretScan(String name) {
    this.name = name;
  }

  /** A distinctive random secret: letters, digits and a '/' and '+' (so encodings differ). */
  public static String randomSecret() {
    String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    SecureRandom r = new SecureRandom();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 22; i++) {
      b.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return b.insert(7, '/').insert(15, '+').toString();
  }

  /**
   * A scan named {@code name} (its material is written to {@code target/secret-scan/NAME.txt}) for
   * {@code secrets}.
   */
  public static SecretScan forSecrets(String name, String... secrets) {
    SecretScan s = new SecretScan(name);
    for (String secret : secrets) {
      if (secret.length() < 16) {
        throw new IllegalArgumentException("use a distinctive secret of 16+ characters");
      }
      s.secrets.add(secret);
      s.forms.put(secret, "the value");
      s.base64(secret, "base64");
      s.forms.put(URLEncoder.encode(secret, StandardCharsets.UTF_8), "URL-encoded");
      s.forms.put(secret.replace("/", "%2F").replace("+", "%2B"), "percent-encoded");
      s.forms.put(secret.replace("/", "\\/"), "JSON-escaped");
      for (int i = 0; i + PIECE <= secret.length(); i++) {
        s.forms.putIfAbsent(secret.substring(i, i + PIECE), "a " + PIECE + "-character piece");
      }
    }
    return s;
  }

  /** Also looks for base64 of {@code user:secret} for every secret (HTTP basic auth's form). */
  public SecretScan withUser(String user) {
    for (String secret : secrets) {
      base64(user + ":" + secret, "base64 of " + user + ":secret");
    }
    return this;
  }

  private void base64(String text, String what) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    forms.put(Base64.getEncoder().encodeToString(bytes), what);
    forms.put(Base64.getUrlEncoder().encodeToString(bytes), what + " (URL-safe)");
    forms.put(Base64.getEncoder().withoutPadding().encodeToString(bytes), what + " (unpadded)");
  }

  /**
   * Captures every log event of this JVM from now until {@link #close}, with io.muster at DEBUG (so
   * each outgoing backend request is logged), formatted as the agent's own pattern plus full stack
   * traces.
   */
  public SecretScan captureLogs() {
    capture = new LogCapture();
    return this;
  }

  /** Adds operator-visible text under a name (one source per name; appended). */
  public synchronized void add(String source, String text) {
    material.computeIfAbsent(source, k -> new StringBuilder()).append(text).append('\n');
  }

  /** Adds a file (a spawned agent's log, a rendered file). */
  public void file(String source, Path file) throws IOException {
    add(source, Files.exists(file) ? Files.readString(file) : "");
  }

  /** Adds an exception as an operator would see it logged: message, causes, stack trace. */
  public void exception(String source, Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w, true));
    add(source, w.toString());
  }

  /** Sends a request to an agent's API; status line, headers and body are scanned. */
  public String http(int port, String method, String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(20));
    b = "POST".equals(method) ? b.POST(HttpRequest.BodyPublishers.noBody()) : b.GET();
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      StringBuilder seen = new StringBuilder(method + " " + path + " -> " + r.statusCode() + "\n");
      r.headers().map().forEach((k, v) -> seen.append(k).append(": ").append(v).append('\n'));
      seen.append(r.body());
      add(method + " " + path + " @" + port, seen.toString());
      return r.body();
    } catch (IOException e) {
      exception(method + " " + path + " @" + port, e);
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Everything an agent shows an operator: status, metrics, peers, health, an unknown endpoint's
   * problem, the formation answer (waiting at most {@code formationWait}, e.g. "2s") and a bad
   * request's problem, then {@code muster status} and {@code muster status --json}.
   */
  public void operatorViews(int port, String formationWait) {
    http(port, "GET", "/v1/status");
    http(port, "GET", "/metrics");
    http(port, "GET", "/v1/peers");
    http(port, "GET", "/health/live");
    http(port, "GET", "/health/ready");
    http(port, "GET", "/health/started");
    http(port, "GET", "/v1/no-such-endpoint");
    http(port, "POST", "/v1/formation?wait=" + formationWait);
    http(port, "POST", "/v1/formation?wait=bogus");
    cli("status", "--api", "127.0.0.1:" + port);
    cli("status", "--json", "--api", "127.0.0.1:" + port);
  }

  /** Runs the {@code muster} CLI in this JVM; its output and error stream are scanned. */
  public Cli.Result cli(String... args) {
    Cli.Result r = Cli.run(args);
    add("muster " + String.join(" ", args), "exit " + r.code() + "\n" + r.out() + "\n" + r.err());
    return r;
  }

  /**
   * Fails if any secret form appears anywhere; else prints and checks what was read: at least
   * {@code minLogLines} captured log lines and every one of {@code mustAppear} somewhere.
   */
  public void assertClean(int minLogLines, String... mustAppear) throws IOException {
    stopCapture();
    Path out = Path.of("target", "secret-scan", name + ".txt");
    Files.createDirectories(out.getParent());
    StringBuilder dump = new StringBuilder();
    material.forEach((k, v) -> dump.append("===== ").append(k).append('\n').append(v));
    Files.writeString(out, dump);
    List<String> leaks = new ArrayList<>();
    long bytes = 0;
    long lines = 0;
    for (Map.Entry<String, StringBuilder> e : material.entrySet()) {
      String text = e.getValue().toString();
      bytes += text.length();
      lines += text.lines().count();
      for (Map.Entry<String, String> f : forms.entrySet()) {
        int at = text.indexOf(f.getKey());
        if (at >= 0) {
          int from = text.lastIndexOf('\n', at) + 1;
          int to = text.indexOf('\n', at);
          leaks.add(
              e.getKey()
                  + ": "
                  + f.getValue()
                  + " in: "
                  + text.substring(from, to < 0 ? text.length() : to));
        }
      }
    }
    String all =
        String.join("\n", material.values().stream().map(StringBuilder::toString).toList());
    Set<String> missing = new LinkedHashSet<>();
    for (String m : mustAppear) {
      if (!all.contains(m)) {
        missing.add(m);
      }
    }
    System.out.printf(
        "[secret-scan] %s: %d sources, %d lines, %d bytes (%d captured log lines);"
            + " %d forms of %d secret(s) looked for; %d hits; all read is in %s%n",
        name,
        material.size(),
        lines,
        bytes,
        logLines.size(),
        forms.size(),
        forms.values().stream().filter("the value"::equals).count(),
        leaks.size(),
        out);
    assertThat(leaks).as("secret values seen by an operator").isEmpty();
    assertThat(missing).as("non-secret values the scan must have seen").isEmpty();
    assertThat(logLines.size())
        .as("captured log lines (the scan must read real logs)")
        .isGreaterThanOrEqualTo(minLogLines);
  }

  private void stopCapture() {
    if (capture != null) {
      capture.close();
      synchronized (logLines) {
        add("logs of this JVM", String.join("", logLines));
      }
      capture = null;
    }
  }

  @Override
  public void close() {
    if (capture != null) {
      capture.close();
      capture = null;
    }
  }

  /** A logback appender on the root logger, io.muster raised to DEBUG while it is attached. */
  private final class LogCapture implements AutoCloseable {
    private final LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ch.qos.logback.classic.Logger muster = ctx.getLogger("io.muster");
    private final Level before = muster.getLevel();
    private final AppenderBase<ILoggingEvent> appender;

    LogCapture() {
      PatternLayout layout = new PatternLayout();
      layout.setContext(ctx);
      layout.setPattern(
          "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n%ex{full}");
      layout.start();
      appender =
          new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
              String line = layout.doLayout(e);
              synchronized (logLines) {
                logLines.add(line);
              }
            }
          };
      appender.setContext(ctx);
      appender.setName("secret-scan");
      appender.start();
      ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(appender);
      muster.setLevel(Level.DEBUG);
    }

    @Override
    public void close() {
      muster.setLevel(before);
      ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
      appender.stop();
    }
  }
}
