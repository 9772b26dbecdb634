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
    this(type.getName());
  }

  /**
   * Collects what the logger named {@code name} and those under it (a package's, say) write, so a
   * test need not name a class that is new to the code it checks.
   */
  public LogLines(String name) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    logger = ctx.getLogger(name);
    appender.setContext(ctx);
    appender.setName("log-lines-" + name);
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
