package io.muster.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The messages one logger writes while this is open, for a test that waits on what an operator
 * would read (an event with no other outward sign) instead of sleeping.
 */
public final class LogLines implements AutoCloseable {

  private final Logger logger;
  private final List<String> lines = new ArrayList<>();
  private final AppenderBase<ILoggingEvent> appender =
      new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent e) {
          synchronized (lines) {
            lines.add(e.getLevel() + " " + e.getFormattedMessage());
          }
        }
      };

  /** Collects what {@code type}'s logger writes, at the levels it is configured for. */
  public LogLines(Class<?> type) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    logger = ctx.getLogger(type);
    appender.setContext(ctx);
    appender.setName("log-lines-" + type.getSimpleName());
    appender.start();
    logger.addAppender(appender);
  }

  /** The lines so far, each "LEVEL message". */
  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
