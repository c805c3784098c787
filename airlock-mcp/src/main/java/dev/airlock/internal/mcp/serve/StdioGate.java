package dev.airlock.internal.mcp.serve;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.json.JsonMapper;

/**
 * Stands between a stdio client and the SDK's stdio transport, which ends the whole session on the first line it
 * cannot read. Each line is admitted only when it is at most {@code maxLineBytes} long (a longer one is skipped to its
 * end without being kept) and passes {@link JsonRpcCheck}; any other line is answered with a JSON-RPC error of its
 * own and dropped, so a bad message costs the client one error and the session goes on. Memory per line is bounded by
 * {@code maxLineBytes}; the work by the parser's bounds.
 *
 * <p>At most {@link #MAX_REQUESTS_IN_FLIGHT} requests wait for their answers; a request past them is answered at once
 * with an error naming the bound, and never reaches the SDK. The SDK reads every line into an unbounded queue and
 * hands each call to a pool whose queue holds 100,000 tasks: a client that sent calls faster than they were answered
 * (300 of 512 KiB to a tool that took 20 s) grew the heap by 303 MiB before the first answer, and 600 ended a
 * 256 MiB server with OutOfMemoryError (attack review 26). The SDK's answers, written to {@link #answers()}, free
 * their places.
 */
final class StdioGate extends InputStream {
  /** Requests of the client that may await their answers at once; each holds at most {@code maxLineBytes}. */
  static final int MAX_REQUESTS_IN_FLIGHT = 32;

  private final InputStream in;
  private final OutputStream out;
  private final Answers answers;
  private final JsonRpcCheck check;
  private final int maxLineBytes;
  private final CountDownLatch ended = new CountDownLatch(1);
  private final AtomicInteger inFlight = new AtomicInteger();
  private byte[] line = new byte[0];
  private int position;

  /** @param out the client's side: the SDK writes to it through {@link #answers()}, the gate its own replies */
  StdioGate(InputStream in, OutputStream out, JsonMapper json, int maxLineBytes) {
    this.in = new BufferedInputStream(in);
    this.out = out;
    this.answers = new Answers(out);
    this.check = new JsonRpcCheck(json);
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * The stream the SDK writes its messages to. The gate writes its own replies under its lock, as the SDK does, so
   * that a reply never lands inside one of its messages; each answer of the SDK's frees a request's place.
   */
  OutputStream answers() {
    return answers;
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
    JsonRpcCheck.Admission admission = check.admission(bytes);
    if (admission.refusal() != null) {
      write(admission.refusal());
      return false;
    }
    if (admission.requestId() != null && inFlight.incrementAndGet() > MAX_REQUESTS_IN_FLIGHT) {
      inFlight.decrementAndGet();
      write(check.reply(admission.requestId(), JsonRpcCheck.SERVER_BUSY, "request refused: at most "
          + MAX_REQUESTS_IN_FLIGHT + " requests may await their answers at once; wait for answers (or cancel "
          + "calls) before sending more"));
      return false;
    }
    return true;
  }

  private void write(String reply) throws IOException {
    byte[] bytes = (reply + "\n").getBytes(StandardCharsets.UTF_8);
    synchronized (answers) {
      out.write(bytes);
      out.flush();
    }
  }

  /**
   * The SDK's side of the client's stream. The SDK writes each message whole in one call, then its line break, under
   * this stream's lock; a message that answers a request frees its place.
   */
  private final class Answers extends FilterOutputStream {
    Answers(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out.write(bytes, offset, length);
      if (length > 1 && check.isAnswer(bytes, offset, length)) {
        inFlight.decrementAndGet();
      }
    }
  }
}
