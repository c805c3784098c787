package dev.airlock.internal.wire;

import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxProtocolException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads frames from a peer that may lie. The length is checked against a limit before anything is allocated, so a
 * hostile length prefix costs nothing; a short or unknown frame is a {@link SandboxProtocolException}.
 */
public final class FrameReader {
  /** Room for a frame's fixed fields next to its payload. */
  public static final int HEADER_ALLOWANCE = 64;

  private final DataInputStream in;
  private final int maxBodyBytes;

  public FrameReader(InputStream in, int maxPayloadBytes) {
    this.in = new DataInputStream(in);
    this.maxBodyBytes = maxPayloadBytes + HEADER_ALLOWANCE;
  }

  /**
   * Reads the next frame.
   *
   * @throws EOFException when the stream ends cleanly between frames
   * @throws PayloadTooLargeException when the declared length exceeds the limit (nothing was read past the prefix)
   * @throws SandboxProtocolException for a frame cut short or of unknown type
   */
  public Frame read() throws IOException {
    int length = in.readInt();
    if (length < 1) {
      throw new SandboxProtocolException("worker sent a frame with invalid length " + length);
    }
    if (length - 1 > maxBodyBytes) {
      throw new PayloadTooLargeException("worker sent a frame of " + (length - 1) + " bytes, over the limit of "
          + maxBodyBytes + " bytes (airlock.max-result-bytes); it was not read");
    }
    try {
      byte code = in.readByte();
      FrameType type = FrameType.of(code);
      if (type == null) {
        throw new SandboxProtocolException("worker sent a frame of unknown type " + code);
      }
      return new Frame(type, body(length - 1));
    } catch (EOFException e) {
      throw new SandboxProtocolException("worker's frame was cut short: expected " + length + " bytes");
    }
  }

  /** What a body is first read into: a frame this small costs one array, as before. */
  static final int FIRST_CHUNK_BYTES = 64 * 1024;

  /**
   * Reads a body of {@code length} bytes into an array that doubles as the bytes arrive, never past {@code length}:
   * allocating the declared length at once let a peer hold the whole limit of the host's heap (per worker, until the
   * call's timeout) with a 5-byte prefix it never followed with a body. Doubling copies each byte at most once more.
   */
  private byte[] body(int length) throws IOException {
    byte[] body = new byte[Math.min(length, FIRST_CHUNK_BYTES)];
    int read = 0;
    while (read < length) {
      if (read == body.length) {
        body = Arrays.copyOf(body, (int) Math.min(length, 2L * body.length));
      }
      int n = in.read(body, read, body.length - read);
      if (n < 0) {
        throw new EOFException();
      }
      read += n;
    }
    return body;
  }
}
