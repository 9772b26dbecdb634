package io.muster.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;

/**
 * The agent's log line. Text by default ({@link #PATTERN}); with {@code MUSTER_LOG_FORMAT=json} one
 * JSON object per line with Logstash's field names ({@code @timestamp}, {@code @version}, {@code
 * level}, {@code logger_name}, {@code thread_name}, {@code message}, {@code stack_trace}), so log
 * shippers index Muster's lines without a parsing rule.
 */
public final class LineLayout extends LayoutBase<ILoggingEvent> {

  static final String PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n";

  private ch.qos.logback.classic.PatternLayout text;
  private String format = System.getenv("MUSTER_LOG_FORMAT");

  /** {@code text} or {@code json}; before {@link #start} (logback.xml leaves it to the env). */
  public void setFormat(String format) {
    this.format = format;
  }

  /**
   * Why {@code MUSTER_LOG_FORMAT} in {@code env} is unusable, or null: checked before anything
   * logs, since logback cannot refuse it itself.
   */
  public static String problem(Map<String, String> env) {
    String f = env.get("MUSTER_LOG_FORMAT");
    if (f == null || f.equals("text") || f.equals("json")) {
      return null;
    }
    return "environment MUSTER_LOG_FORMAT: expected text or json, got \"" + f + "\"";
  }

  @Override
  public void start() {
    if (!"json".equals(format)) {
      text = new ch.qos.logback.classic.PatternLayout();
      text.setContext(getContext());
      text.setPattern(PATTERN);
      text.start();
    }
    super.start();
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    if (text != null) {
      return text.doLayout(event);
    }
    JsonObject line =
        new JsonObject()
            .put("@timestamp", Instant.ofEpochMilli(event.getTimeStamp()).toString())
            .put("@version", "1")
            .put("level", event.getLevel().toString())
            .put("logger_name", event.getLoggerName())
            .put("thread_name", event.getThreadName())
            .put("message", event.getFormattedMessage());
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.put("stack_trace", ThrowableProxyUtil.asString(thrown));
    }
    return line.encode() + CoreConstants.LINE_SEPARATOR;
  }
}
