package io.muster.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 19: {@code MUSTER_LOG_FORMAT=json} gives one Logstash-style JSON object per line. */
class LineLayoutTest {

  private static LoggingEvent event(Throwable thrown) {
    LoggerContext context = new LoggerContext();
    LoggingEvent e =
        new LoggingEvent(
            "x",
            context.getLogger("io.muster.agent.Agent"),
            Level.WARN,
            "Registration failed: {} \"quoted\"\nsecond line",
            thrown,
            new Object[] {"timeout"});
    e.setThreadName("muster-formation");
    e.setTimeStamp(1_796_300_000_123L);
    return e;
  }

  private static LineLayout layout(String format) {
    LineLayout layout = new LineLayout();
    layout.setContext(new LoggerContext());
    layout.setFormat(format);
    layout.start();
    return layout;
  }

  @Test
  void jsonLinesCarryLogstashFieldsAndEscapeTheMessage() {
    String line = layout("json").doLayout(event(new IllegalStateException("boom")));
    assertThat(line).endsWith("\n").doesNotContain("\n{");
    assertThat(line.strip().lines()).hasSize(1);
    JsonObject o = new JsonObject(line);
    assertThat(o.getString("@timestamp")).isEqualTo("2026-12-03T12:13:20.123Z");
    assertThat(o.getString("@version")).isEqualTo("1");
    assertThat(o.getString("level")).isEqualTo("WARN");
    assertThat(o.getString("logger_name")).isEqualTo("io.muster.agent.Agent");
    assertThat(o.getString("thread_name")).isEqualTo("muster-formation");
    assertThat(o.getString("message"))
        .isEqualTo("Registration failed: timeout \"quoted\"\nsecond line");
    assertThat(o.getString("stack_trace")).contains("IllegalStateException: boom");
  }

  @Test
  void textStaysTheDefaultLine() {
    String line = layout(null).doLayout(event(null));
    assertThat(line).contains("WARN  [muster-formation] Agent - Registration failed: timeout");
  }

  @Test
  void anyOtherFormatIsRefusedBeforeAnythingLogs() {
    assertThat(LineLayout.problem(Map.of())).isNull();
    assertThat(LineLayout.problem(Map.of("MUSTER_LOG_FORMAT", "json"))).isNull();
    assertThat(LineLayout.problem(Map.of("MUSTER_LOG_FORMAT", "xml")))
        .isEqualTo("environment MUSTER_LOG_FORMAT: expected text or json, got \"xml\"");
  }
}
