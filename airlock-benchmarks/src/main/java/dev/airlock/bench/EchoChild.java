package dev.airlock.bench;

import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;

/**
 * The floor's child process: reads frames from its stdin pipe and sends every frame back unchanged on its stdout
 * pipe, with the buffers a local worker uses, and no decoding, no call and no threads.
 */
public final class EchoChild {
  private static final int BUFFER = 64 * 1024;

  private EchoChild() {
  }

  public static void main(String[] args) throws IOException {
    FrameReader reader = new FrameReader(new BufferedInputStream(new FileInputStream(FileDescriptor.in), BUFFER),
        Integer.MAX_VALUE / 2);
    FrameWriter writer = new FrameWriter(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), BUFFER));
    while (true) {
      Frame frame;
      try {
        frame = reader.read();
      } catch (EOFException e) {
        return;
      }
      writer.write(frame.type(), frame.body());
    }
  }
}
