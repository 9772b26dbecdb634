package io.muster.backend.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/**
 * A UDP responder that answers every DNS query with SERVFAIL, over the real wire format: dnsmasq
 * cannot be made to fail that way on purpose.
 */
final class ServfailServer implements AutoCloseable {

  private final DatagramSocket socket;
  private final Thread thread;

  ServfailServer() throws IOException {
    socket = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"));
    thread = new Thread(this::serve, "servfail");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve() {
    byte[] buf = new byte[4096];
    while (!socket.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.RA);
        r.getHeader().setRcode(Rcode.SERVFAIL);
        r.addRecord(q.getQuestion(), org.xbill.DNS.Section.QUESTION);
        byte[] out = r.toWire();
        socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
      } catch (IOException e) {
        // closed, or a malformed query: keep serving until closed
      }
    }
  }

  @Override
  public void close() {
    socket.close();
  }
}
