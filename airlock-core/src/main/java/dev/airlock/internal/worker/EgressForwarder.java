package dev.airlock.internal.worker;

import dev.airlock.internal.backend.WorkerEgress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Inside a sandbox with no network but its loopback: listens on {@code 127.0.0.1:}{@link WorkerEgress#SANDBOX_PORT}
 * and pumps each connection to the host's egress gate, a unix socket bound into the sandbox, where the host decides
 * everything. It is a convenience for the JDK's proxy settings, not a control: guest code may bypass, replace or talk
 * to the socket itself and gains nothing by it. One thread for every connection (a selector), started before the
 * worker says hello, so the worker's thread set stays what the host recorded as idle.
 */
final class EgressForwarder implements Runnable {
  private static final int BUFFER = 32 * 1024;

  private final Selector selector;
  private final ServerSocketChannel server;
  private final UnixDomainSocketAddress gate;

  private EgressForwarder(Selector selector, ServerSocketChannel server, UnixDomainSocketAddress gate) {
    this.selector = selector;
    this.server = server;
    this.gate = gate;
  }

  /** Starts the forwarder when the backend gave this worker a gate ({@code -Dairlock.egress.socket}). */
  static void startIfConfigured() {
    String socket = System.getProperty(WorkerEgress.SOCKET_PROPERTY);
    if (socket == null || socket.isEmpty()) {
      return;
    }
    try {
      ServerSocketChannel server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), WorkerEgress.SANDBOX_PORT));
      server.configureBlocking(false);
      Selector selector = Selector.open();
      server.register(selector, SelectionKey.OP_ACCEPT);
      Thread thread = new Thread(new EgressForwarder(selector, server, UnixDomainSocketAddress.of(Path.of(socket))),
          "airlock-egress-forwarder");
      thread.setDaemon(true);
      thread.start();
    } catch (IOException e) {
      // The console (the host's debug log), not the protocol: without the forwarder the call simply has no egress.
      System.err.println("airlock worker: no egress forwarder: " + e);
    }
  }

  @Override
  public void run() {
    while (true) {
      try {
        selector.select();
        for (SelectionKey key : selector.selectedKeys()) {
          if (key.isValid() && key.isAcceptable()) {
            accept();
          } else if (key.isValid()) {
            ((Side) key.attachment()).ready(key);
          }
        }
        selector.selectedKeys().clear();
      } catch (IOException | RuntimeException e) {
        System.err.println("airlock worker: egress forwarder: " + e);
      }
    }
  }

  private void accept() throws IOException {
    SocketChannel tcp = server.accept();
    if (tcp == null) {
      return;
    }
    SocketChannel unix;
    try {
      unix = SocketChannel.open(StandardProtocolFamily.UNIX);
      unix.connect(gate);
    } catch (IOException e) {
      tcp.close();
      return;
    }
    tcp.configureBlocking(false);
    unix.configureBlocking(false);
    Side client = new Side(tcp);
    Side host = new Side(unix);
    client.peer = host;
    host.peer = client;
    client.key = tcp.register(selector, SelectionKey.OP_READ, client);
    host.key = unix.register(selector, SelectionKey.OP_READ, host);
  }

  /**
   * One end of a forwarded connection. {@code outgoing} holds what was read here and not yet written to the peer;
   * reading stops while it is full, so memory stays at two buffers per connection whatever either end does.
   */
  private static final class Side {
    final SocketChannel channel;
    final ByteBuffer outgoing = ByteBuffer.allocate(BUFFER);
    Side peer;
    SelectionKey key;
    boolean eof;

    Side(SocketChannel channel) {
      this.channel = channel;
    }

    void ready(SelectionKey ready) {
      try {
        if (ready.isReadable() && outgoing.hasRemaining() && !eof) {
          if (channel.read(outgoing) < 0) {
            eof = true;
          }
        }
        flush(this, peer);
        flush(peer, this);
        if (eof && outgoing.position() == 0 && peer.eof && peer.outgoing.position() == 0) {
          close();
          return;
        }
        interest();
        peer.interest();
      } catch (IOException e) {
        close();
      }
    }

    /** Writes what {@code from} read to {@code to}; after {@code from}'s end, ends {@code to}'s output. */
    private static void flush(Side from, Side to) throws IOException {
      from.outgoing.flip();
      try {
        to.channel.write(from.outgoing);
      } finally {
        from.outgoing.compact();
      }
      if (from.eof && from.outgoing.position() == 0 && to.channel.isOpen()) {
        to.channel.shutdownOutput();
      }
    }

    private void interest() {
      if (!key.isValid()) {
        return;
      }
      int ops = (!eof && outgoing.hasRemaining() ? SelectionKey.OP_READ : 0)
          | (peer.outgoing.position() > 0 ? SelectionKey.OP_WRITE : 0);
      key.interestOps(ops);
    }

    private void close() {
      for (Side side : new Side[] {this, peer}) {
        side.key.cancel();
        try {
          side.channel.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }
  }
}
