package dev.airlock.internal.egress;

import java.io.ByteArrayOutputStream;

/**
 * Reads a response's chunked framing as it streams by, read by read, and gives back the body bytes it frames: what
 * the guest's HTTP client hands the tool. Chunk extensions and the framing lines are dropped; the trailer and
 * anything after it are passed on as body, so nothing the server sends goes unwatched. Framing that is not
 * {@code hex-size [extension] CRLF data CRLF} (a bare LF is accepted, as clients do) is malformed.
 */
final class ChunkFraming {
  private enum State { SIZE, EXTENSION, SIZE_END, DATA, DATA_CR, DATA_LF, TRAILER }

  private State state = State.SIZE;
  private long size;
  private int digits;

  /** The body bytes in {@code bytes}; null when the framing is malformed (then every later read is too). */
  byte[] payload(byte[] bytes, int offset, int length) {
    ByteArrayOutputStream body = new ByteArrayOutputStream(length);
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      if (state == State.DATA) {
        int n = (int) Math.min(size, end - i);
        body.write(bytes, i, n);
        size -= n;
        i += n - 1;
        if (size == 0) {
          state = State.DATA_CR;
        }
        continue;
      }
      if (state == State.TRAILER) {
        body.write(bytes, i, end - i);
        break;
      }
      if (!frame(bytes[i])) {
        state = null;
        return null;
      }
    }
    return body.toByteArray();
  }

  /** One byte of framing; false when it is not what the framing allows here. */
  private boolean frame(byte b) {
    if (state == null) {
      return false;
    }
    switch (state) {
      case SIZE -> {
        int digit = Character.digit(b, 16);
        if (digit >= 0 && digits < 15) {
          size = size * 16 + digit;
          digits++;
          return true;
        }
        if (digits == 0) {
          return false;
        }
        if (b == ';' || b == ' ' || b == '\t') {
          state = State.EXTENSION;
          return true;
        }
        return endOfSizeLine(b);
      }
      case EXTENSION -> {
        return b != '\r' && b != '\n' || endOfSizeLine(b);
      }
      case SIZE_END -> {
        return b == '\n' && startData();
      }
      case DATA_CR -> {
        state = b == '\r' ? State.DATA_LF : State.SIZE;
        return b == '\r' || b == '\n' && nextChunk();
      }
      case DATA_LF -> {
        return b == '\n' && nextChunk();
      }
      default -> {
        return false;
      }
    }
  }

  private boolean endOfSizeLine(byte b) {
    if (b == '\r') {
      state = State.SIZE_END;
      return true;
    }
    return b == '\n' && startData();
  }

  private boolean startData() {
    state = size == 0 ? State.TRAILER : State.DATA;
    return true;
  }

  private boolean nextChunk() {
    state = State.SIZE;
    size = 0;
    digits = 0;
    return true;
  }
}
