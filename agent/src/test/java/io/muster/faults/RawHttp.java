package io.muster.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A bare HTTP/1.1 client over a socket, for requests no well-behaved client would send (methods,
 * targets and headers are written as given). Reads until the server closes or {@code timeout}
 * passes, and splits what came back into responses.
 */
final class RawHttp {

  private static final int MAX_READ = 4 << 20;

  /** One response: status, headers (lower-case names) and body. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** What the server sent: its responses, and whether the read ran into the time-out. */
  record Exchange(List<Response> responses, boolean timedOut, String unparsed) {}

  private RawHttp() {}

  /**
   * Sends {@code request} to {@code host}:{@code port}. With {@code halfClose} the write side is
   * shut after the request, so a server waiting for bytes that never come sees the end instead.
   */
  static Exchange send(String host, int port, byte[] request, boolean halfClose, Duration timeout)
      throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    boolean timedOut = false;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 5_000);
      s.setSoTimeout((int) timeout.toMillis());
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      if (halfClose) {
        s.shutdownOutput();
      }
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        int n;
        while ((n = in.read(buf)) >= 0 && got.size() < MAX_READ) {
          got.write(buf, 0, n);
          if (System.nanoTime() > deadline) {
            timedOut = true;
            break;
          }
        }
      } catch (SocketTimeoutException e) {
        timedOut = true;
      } catch (IOException e) {
        // A reset after the response (the server closed with unread bytes): keep what came.
      }
    }
    return parse(got.toByteArray(), timedOut);
  }

  static Exchange parse(byte[] bytes, boolean timedOut) {
    List<Response> out = new ArrayList<>();
    int at = 0;
    while (at < bytes.length) {
      int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), at);
      if (end < 0) {
        break;
      }
      String[] head = new String(bytes, at, end - at, StandardCharsets.ISO_8859_1).split("\r\n");
      String[] statusLine = head[0].split(" ", 3);
      if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
        break;
      }
      int status = Integer.parseInt(statusLine[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < head.length; i++) {
        int colon = head[i].indexOf(':');
        if (colon > 0) {
          headers.put(
              head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
              head[i].substring(colon + 1).trim());
        }
      }
      int bodyStart = end + 4;
      byte[] body;
      String length = headers.get("content-length");
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int p = bodyStart;
        while (true) {
          int lineEnd = indexOf(bytes, "\r\n".getBytes(StandardCharsets.ISO_8859_1), p);
          if (lineEnd < 0) {
            return new Exchange(out, timedOut, "truncated chunked body");
          }
          int size =
              Integer.parseInt(
                  new String(bytes, p, lineEnd - p, StandardCharsets.ISO_8859_1).split(";")[0], 16);
          p = lineEnd + 2;
          if (size == 0) {
            p = indexOf(bytes, "\r\n".getBytes(StandardCharsets.ISO_8859_1), p) + 2;
            break;
          }
          b.write(bytes, p, Math.min(size, bytes.length - p));
          p += size + 2;
        }
        body = b.toByteArray();
        at = p;
      } else {
        int n = length == null ? bytes.length - bodyStart : Integer.parseInt(length);
        n = Math.min(n, bytes.length - bodyStart);
        body = java.util.Arrays.copyOfRange(bytes, bodyStart, bodyStart + n);
        at = bodyStart + n;
      }
      out.add(new Response(status, headers, body));
    }
    String rest =
        at < bytes.length
            ? new String(bytes, at, Math.min(200, bytes.length - at), StandardCharsets.ISO_8859_1)
            : "";
    return new Exchange(out, timedOut, rest);
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
