package dev.airlock.internal.egress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;

/**
 * A channel dressed as a connected {@link Socket} with the streams given, so the JDK's SSLSocket can be layered on it:
 * a Unix-domain SocketChannel has no socket adaptor, and a terminated tunnel layers TLS on metered streams (its
 * handshakes count against the call's byte cap) on both sides. Only what a layered SSLSocket calls is answered;
 * options are neutral because the proxy bounds time with its own deadlines, which close the channel.
 */
final class ChannelSocket extends Socket {
  private final SocketChannel channel;
  private final InputStream in;
  private final OutputStream out;

  ChannelSocket(SocketChannel channel, InputStream in, OutputStream out) {
    this.channel = channel;
    this.in = in;
    this.out = out;
  }

  @Override
  public InputStream getInputStream() {
    return in;
  }

  @Override
  public OutputStream getOutputStream() {
    return out;
  }

  @Override
  public boolean isConnected() {
    return true;
  }

  @Override
  public boolean isBound() {
    return true;
  }

  @Override
  public boolean isClosed() {
    return !channel.isOpen();
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }

  @Override
  public void shutdownInput() throws IOException {
    channel.shutdownInput();
  }

  @Override
  public void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  @Override
  public boolean isInputShutdown() {
    return !channel.isOpen();
  }

  @Override
  public boolean isOutputShutdown() {
    return !channel.isOpen();
  }

  @Override
  public InetAddress getInetAddress() {
    return null;
  }

  @Override
  public SocketAddress getRemoteSocketAddress() {
    return null;
  }

  @Override
  public int getPort() {
    return 0;
  }

  @Override
  public int getSoLinger() {
    return -1;
  }

  @Override
  public synchronized int getSoTimeout() {
    return 0;
  }

  @Override
  public synchronized void setSoTimeout(int timeout) {
    // Deadlines are the proxy's own (they close the channel).
  }

  @Override
  public void setSoLinger(boolean on, int linger) {
    // Not applicable to a Unix-domain channel.
  }

  @Override
  public void setTcpNoDelay(boolean on) {
    // Not applicable to a Unix-domain channel.
  }

  @Override
  public String toString() {
    return "ChannelSocket[" + channel + "]";
  }
}
