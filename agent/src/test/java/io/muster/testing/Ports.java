package io.muster.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Test helper: free ports for agents that each bind their own loopback address. */
public final class Ports {

  private Ports() {}

  /** A TCP port free on 127.0.0.1 .. 127.0.0.maxHost (the peer port of lockless agents). */
  public static int freeOnLoopbacks(int maxHost) {
    for (int attempt = 0; attempt < 50; attempt++) {
      // Below Linux's ephemeral range (32768-60999): no outgoing connection takes it meanwhile.
      int port = ThreadLocalRandom.current().nextInt(20000, 32768);
      boolean free = true;
      for (int h = 1; h <= maxHost && free; h++) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress("127.0.0." + h, port));
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return port;
      }
    }
    throw new IllegalStateException("no port free on all loopback addresses");
  }

  /** {@code count} different ports, each free on 127.0.0.1 .. 127.0.0.maxHost. */
  public static int[] distinct(int count, int maxHost) {
    java.util.Set<Integer> ports = new java.util.LinkedHashSet<>();
    while (ports.size() < count) {
      ports.add(freeOnLoopbacks(maxHost));
    }
    return ports.stream().mapToInt(Integer::intValue).toArray();
  }
}
