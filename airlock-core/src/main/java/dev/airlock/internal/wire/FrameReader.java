package dev.airlock.internal.wire;

import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxProtocolException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

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
      byte[] body = new byte[length - 1];
      in.readFully(body);
      return new Frame(type, body);
    } catch (EOFException e) {
      throw new SandboxProtocolException("worker's frame was cut short: expected " + length + " bytes");
    }
  }
}
