package io.muster.formation.core;

/**
 * Where the core's operator log lines go: SLF4J in production; in the simulator, a bounded trace
 * (or nowhere), so that millions of schedules do not format log lines.
 */
public interface CoreLog {

  void debug(String format, Object... args);

  void info(String format, Object... args);

  void warn(String format, Object... args);

  void error(String format, Object... args);

  /** Drops everything. */
  CoreLog NONE =
      new CoreLog() {
        @Override
        public void debug(String format, Object... args) {}

        @Override
        public void info(String format, Object... args) {}

        @Override
        public void warn(String format, Object... args) {}

        @Override
        public void error(String format, Object... args) {}
      };
}
