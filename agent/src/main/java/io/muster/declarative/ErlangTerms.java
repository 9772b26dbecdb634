package io.muster.declarative;

import java.util.ArrayList;
import java.util.List;

/**
 * The Erlang terms a Clusterer config file holds, read without an Erlang VM: integers, atoms
 * (plain, or quoted as {@code 'rabbit@host-a.example.com'}), strings, lists and tuples, then the
 * final dot; {@code %} comments. Only what a cluster config uses: no floats, binaries, maps,
 * records or macros. Every error names the line and column and what was expected.
 */
final class ErlangTerms {

  /** A term, with the line it starts on. */
  sealed interface Term permits Atom, Int, Str, ListTerm, Tuple {
    int line();
  }

  record Atom(String name, int line) implements Term {
    @Override
    public String toString() {
      return name;
    }
  }

  record Int(long value, int line) implements Term {
    @Override
    public String toString() {
      return Long.toString(value);
    }
  }

  record Str(String text, int line) implements Term {
    @Override
    public String toString() {
      return '"' + text + '"';
    }
  }

  record ListTerm(List<Term> items, int line) implements Term {
    @Override
    public String toString() {
      return items.toString();
    }
  }

  record Tuple(List<Term> items, int line) implements Term {
    @Override
    public String toString() {
      String s = items.toString();
      return "{" + s.substring(1, s.length() - 1) + "}";
    }
  }

  /** A syntax error at a line and column. */
  static final class SyntaxError extends Exception {
    SyntaxError(int line, int column, String message) {
      super("line " + line + ", column " + column + ": " + message);
    }
  }

  private final String text;
  private int pos;
  private int line = 1;
  private int lineStart;

  private ErlangTerms(String text) {
    this.text = text;
  }

  /** Parses one term followed by a dot (and nothing but white space and comments after it). */
  static Term parse(String text) throws SyntaxError {
    ErlangTerms p = new ErlangTerms(text);
    p.skip();
    Term t = p.term();
    p.skip();
    p.expect('.', "a dot after the term (every Erlang terms file ends its term with one)");
    p.skip();
    if (p.pos < text.length()) {
      throw p.error("nothing after the final dot, found " + p.found());
    }
    return t;
  }

  private Term term() throws SyntaxError {
    if (pos >= text.length()) {
      throw error("a term, found the end of the file");
    }
    char c = text.charAt(pos);
    int at = line;
    if (c == '[') {
      pos++;
      return new ListTerm(sequence(']'), at);
    }
    if (c == '{') {
      pos++;
      return new Tuple(sequence('}'), at);
    }
    if (c == '\'') {
      return new Atom(quoted('\''), at);
    }
    if (c == '"') {
      return new Str(quoted('"'), at);
    }
    if (Character.isDigit(c)) {
      int start = pos;
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
        pos++;
      }
      try {
        return new Int(Long.parseLong(text.substring(start, pos)), at);
      } catch (NumberFormatException e) {
        throw error("an integer that fits 64 bits");
      }
    }
    if (c >= 'a' && c <= 'z') {
      int start = pos;
      while (pos < text.length() && plainAtomChar(text.charAt(pos))) {
        pos++;
      }
      if (pos < text.length()
          && (text.charAt(pos) == '-' || (text.charAt(pos) == '.' && nextIsNameChar()))) {
        throw new SyntaxError(
            line,
            pos - lineStart + 1,
            "a plain atom cannot hold '"
                + text.charAt(pos)
                + "': quote a node name such as '"
                + text.substring(start, pos)
                + text.charAt(pos)
                + "...' in single quotes, as Erlang does");
      }
      return new Atom(text.substring(start, pos), at);
    }
    throw error("a term (integer, atom, string, list or tuple), found " + found());
  }

  private boolean nextIsNameChar() {
    return pos + 1 < text.length() && plainAtomChar(text.charAt(pos + 1));
  }

  private static boolean plainAtomChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '@';
  }

  private List<Term> sequence(char close) throws SyntaxError {
    List<Term> items = new ArrayList<>();
    skip();
    if (pos < text.length() && text.charAt(pos) == close) {
      pos++;
      return items;
    }
    while (true) {
      skip();
      items.add(term());
      skip();
      if (pos < text.length() && text.charAt(pos) == ',') {
        pos++;
        continue;
      }
      expect(close, "',' or '" + close + "'");
      return items;
    }
  }

  private String quoted(char quote) throws SyntaxError {
    int startLine = line;
    pos++;
    StringBuilder b = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == quote) {
        return b.toString();
      }
      if (c == '\\' && pos < text.length()) {
        c = text.charAt(pos++);
      }
      if (c == '\n') {
        line++;
        lineStart = pos;
      }
      b.append(c);
    }
    throw error("the closing " + quote + " of the quote begun on line " + startLine);
  }

  private void expect(char c, String what) throws SyntaxError {
    if (pos < text.length() && text.charAt(pos) == c) {
      pos++;
      return;
    }
    throw error(what + ", found " + found());
  }

  private String found() {
    return pos >= text.length() ? "the end of the file" : "'" + text.charAt(pos) + "'";
  }

  private void skip() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '%') {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
      } else if (c == '\n') {
        pos++;
        line++;
        lineStart = pos;
      } else if (Character.isWhitespace(c)) {
        pos++;
      } else {
        return;
      }
    }
  }

  private SyntaxError error(String expected) {
    return new SyntaxError(line, pos - lineStart + 1, "expected " + expected);
  }
}
