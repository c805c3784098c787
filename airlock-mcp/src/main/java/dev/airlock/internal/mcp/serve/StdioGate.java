package dev.airlock.internal.mcp.serve;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import tools.jackson.databind.json.JsonMapper;

/**
 * Stands between a stdio client and the SDK's stdio transport, which ends the whole session on the first line it
 * cannot read. Each line is admitted only when it is at most {@code maxLineBytes} long (a longer one is skipped to its
 * end without being kept) and passes {@link JsonRpcCheck}; any other line is answered with a JSON-RPC error of its
 * own and dropped, so a bad message costs the client one error and the session goes on. Memory per line is bounded by
 * {@code maxLineBytes}; the work by the parser's bounds.
 */
final class StdioGate extends InputStream {
  private final InputStream in;
  private final OutputStream out;
  private final JsonRpcCheck check;
  private final int maxLineBytes;
  private final CountDownLatch ended = new CountDownLatch(1);
  private byte[] line = new byte[0];
  private int position;

  /**
   * @param out the stream the SDK writes its messages to: replies are written under its lock, as the SDK's are, so
   *     that a reply never lands inside one of its messages
   */
  StdioGate(InputStream in, OutputStream out, JsonMapper json, int maxLineBytes) {
    this.in = new BufferedInputStream(in);
    this.out = out;
    this.check = new JsonRpcCheck(json);
    this.maxLineBytes = maxLineBytes;
  }

  /** Counted down when the client's input has ended. */
  CountDownLatch ended() {
    return ended;
  }

  @Override
  public int read() throws IOException {
    if (position == line.length && !nextLine()) {
      return -1;
    }
    return line[position++] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    if (position == line.length && !nextLine()) {
      return -1;
    }
    int count = Math.min(length, line.length - position);
    System.arraycopy(line, position, buffer, offset, count);
    position += count;
    return count;
  }

  /** Reads lines until one is admitted (true) or the input ends (false). */
  private boolean nextLine() throws IOException {
    while (true) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      long length = 0;
      int b;
      while ((b = in.read()) != -1 && b != '\n') {
        if (++length <= maxLineBytes) {
          bytes.write(b);
        }
      }
      if (b == -1 && length == 0) {
        ended.countDown();
        return false;
      }
      if (length > maxLineBytes) {
        write(check.reply(null, JsonRpcCheck.INVALID_REQUEST, "message of " + length + " bytes refused: at most "
            + maxLineBytes + " bytes per message"));
      } else if (admitted(bytes.toByteArray())) {
        bytes.write('\n');
        line = bytes.toByteArray();
        position = 0;
        return true;
      }
      if (b == -1) {
        ended.countDown();
        return false;
      }
    }
  }

  private boolean admitted(byte[] bytes) throws IOException {
    if (JsonRpcCheck.blank(bytes)) {
      return false;
    }
    String refusal = check.refusal(bytes);
    if (refusal != null) {
      write(refusal);
      return false;
    }
    return true;
  }

  private void write(String reply) throws IOException {
    byte[] bytes = (reply + "\n").getBytes(StandardCharsets.UTF_8);
    synchronized (out) {
      out.write(bytes);
      out.flush();
    }
  }
}
