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
      int port = ThreadLocalRandom.current().nextInt(20000, 60000);
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
}
