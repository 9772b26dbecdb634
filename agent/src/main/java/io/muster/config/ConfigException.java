package io.muster.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The config cannot be used. Carries every problem found, not just the first, so an operator fixes
 * the file in one pass. The CLI turns it into exit code 2.
 */
public final class ConfigException extends RuntimeException {

  /** The exit code for unusable configuration. */
  public static final int EXIT_CODE = 2;

  private final List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  public ConfigException(ConfigProblem problem) {
    this(List.of(problem));
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}
