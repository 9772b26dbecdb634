package io.muster.render;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A compiled Mustache template: a file, or one shipped with Muster ({@code builtin:NAME}). HTML
 * escaping is off (these are config files) and a missing variable is an error, never an empty
 * string: a template is tried on a sample context when loaded, so typos stop start-up.
 */
public final class Template {

  /** Templates shipped in the jar (and in the distribution's templates/ directory). */
  public static final List<String> BUILTIN =
      List.of("rabbitmq", "rabbitmq-peer-discovery", "elasticsearch", "plain");

  private static final Mustache.Compiler COMPILER =
      Mustache.compiler().escapeHTML(false).strictSections(true);

  /** A tag naming a decision variable: such a template is not rendered before a decision. */
  private static final Pattern DECISION_TAG =
      Pattern.compile("\\{\\{[#^/&]?\\s*(action|seed|join|cluster_id)\\s*}}");

  private final String name;
  private final com.samskivert.mustache.Template compiled;
  private final boolean usesDecision;

  private Template(String name, com.samskivert.mustache.Template compiled, boolean usesDecision) {
    this.name = name;
    this.compiled = compiled;
    this.usesDecision = usesDecision;
  }

  /**
   * True when the template uses the decision ({@code action}, {@code seed}, {@code join}, {@code
   * cluster_id}): before a decision it would render as if there were none, which for RabbitMQ's
   * classic_config reads like a seed's file, so it waits for one.
   */
  public boolean usesDecision() {
    return usesDecision;
  }

  /**
   * Loads and checks a template.
   *
   * @throws IllegalArgumentException (completing "expected ...") when it cannot be used
   */
  public static Template load(String spec) {
    String text = spec.startsWith("builtin:") ? builtin(spec.substring(8)) : file(Path.of(spec));
    com.samskivert.mustache.Template compiled;
    try {
      compiled = COMPILER.compile(text);
    } catch (MustacheException e) {
      throw new IllegalArgumentException(
          "a valid Mustache template (" + spec + ": " + e.getMessage() + ")");
    }
    Template t = new Template(spec, compiled, DECISION_TAG.matcher(text).find());
    try {
      // Every shape a render can see: a typo inside a section must not wait for that case.
      for (Map<String, Object> sample : RenderContext.samples()) {
        t.render(sample);
      }
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(
          "a template using only the documented variables (" + e.getMessage() + ")");
    }
    return t;
  }

  /** Renders with a context from {@link RenderContext}. */
  public String render(Map<String, Object> context) {
    try {
      return compiled.execute(context);
    } catch (MustacheException e) {
      throw new IllegalStateException(name + ": " + e.getMessage(), e);
    }
  }

  private static String builtin(String name) {
    if (!BUILTIN.contains(name)) {
      throw new IllegalArgumentException(
          "builtin:" + String.join(", builtin:", BUILTIN) + " or a file, got builtin:" + name);
    }
    try (InputStream in = Template.class.getResourceAsStream(name + ".mustache")) {
      if (in == null) {
        throw new IllegalStateException("builtin template " + name + " missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read builtin template " + name, e);
    }
  }

  /** Far above any real template; bounds the read of a path such as /dev/zero. */
  private static final int MAX_FILE_BYTES = 1 << 20;

  private static String file(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        throw new IllegalArgumentException(
            "a template file of at most "
                + (MAX_FILE_BYTES >> 20)
                + " MiB, "
                + path
                + " is larger");
      }
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "a readable template file, cannot read "
              + path
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
