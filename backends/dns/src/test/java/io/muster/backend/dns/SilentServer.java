package io.muster.backend.dns;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;

/** A UDP port that receives DNS queries and never answers: real time-outs, not port-unreachable. */
final class SilentServer implements AutoCloseable {

  private final DatagramSocket socket;

  SilentServer() throws IOException {
    socket = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"));
  }

  int port() {
    return socket.getLocalPort();
  }

  @Override
  public void close() {
    socket.close();
  }
}
