package dev.airlock.internal.worker;

import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stands in for {@code System.out}/{@code System.err} inside the worker: each line user code prints becomes a LOG
 * frame, so nothing it prints can corrupt the protocol. Lines are counted per call, and past a per-call budget they
 * are counted but no longer sent. The budget charges each line {@link Messages#LOG_LINE_COST} besides its text, as
 * the host does, so what an honest worker sends always fits the host's budget and never reaches its flood bound.
 */
final class LogForwarder extends OutputStream {
  static final int MAX_LINE = 8 * 1024;
  static final long MAX_BYTES_PER_CALL = 1024 * 1024;

  private final FrameWriter writer;
  private final boolean stderr;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private final AtomicInteger lines;
  private final AtomicLong bytes;

  LogForwarder(FrameWriter writer, boolean stderr, AtomicInteger lines, AtomicLong bytes) {
    this.writer = writer;
    this.stderr = stderr;
    this.lines = lines;
    this.bytes = bytes;
  }

  @Override
  public synchronized void write(int b) throws IOException {
    if (b == '\n') {
      emit();
    } else {
      line.write(b);
      if (line.size() >= MAX_LINE) {
        emit();
      }
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    for (int i = off; i < off + len; i++) {
      write(b[i]);
    }
  }

  @Override
  public synchronized void flush() throws IOException {
    if (line.size() > 0) {
      emit();
    }
  }

  private void emit() throws IOException {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    lines.incrementAndGet();
    if (bytes.addAndGet(text.length() + Messages.LOG_LINE_COST) <= MAX_BYTES_PER_CALL) {
      writer.write(FrameType.LOG, Messages.log(new Messages.Log(stderr, text)));
    }
  }
}
