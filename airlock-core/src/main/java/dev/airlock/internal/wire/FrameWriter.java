package dev.airlock.internal.wire;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Writes frames; safe to share between threads (a frame is written whole under a lock). */
public final class FrameWriter {
  private final DataOutputStream out;

  public FrameWriter(OutputStream out) {
    this.out = new DataOutputStream(out);
  }

  public void write(FrameType type, byte[] body) throws IOException {
    write(type, body, 0, body.length);
  }

  public synchronized void write(FrameType type, byte[] body, int offset, int length) throws IOException {
    out.writeInt(length + 1);
    out.writeByte(type.code());
    out.write(body, offset, length);
    out.flush();
  }
}
