package dev.airlock.internal.wire;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Buffered streams over a connected socket channel that allow one reader and one writer at the same time
 * ({@code Channels.newInputStream} may serialize them, which would stall log frames behind a blocked read).
 */
public final class ChannelStreams {
  private static final int BUFFER = 64 * 1024;

  private ChannelStreams() {
  }

  public static InputStream input(SocketChannel channel) {
    return new BufferedInputStream(new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    }, BUFFER);
  }

  public static OutputStream output(SocketChannel channel) {
    return new BufferedOutputStream(new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    }, BUFFER);
  }
}
