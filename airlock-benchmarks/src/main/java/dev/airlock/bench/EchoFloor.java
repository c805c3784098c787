package dev.airlock.bench;

import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The physical floor of a call: one frame to a child JVM over a pair of pipes, the local backend's transport, with
 * the framing the pool uses, and the same frame back. Whatever a sandboxed call costs above this is Airlock's own.
 */
final class EchoFloor implements AutoCloseable {
  private final Process child;
  private final FrameReader reader;
  private final FrameWriter writer;

  private EchoFloor(Process child) {
    this.child = child;
    this.reader = new FrameReader(child.getInputStream(), Integer.MAX_VALUE / 2);
    this.writer = new FrameWriter(child.getOutputStream());
  }

  static EchoFloor start() throws IOException {
    Process child = new ProcessBuilder(List.of(Jvm.java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData", "-cp", Jvm.classpath(), EchoChild.class.getName()))
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    return new EchoFloor(child);
  }

  /** Sends {@code body} as one frame and returns the echoed body. */
  byte[] roundTrip(byte[] body) throws IOException {
    writer.write(FrameType.INVOKE, body);
    Frame echoed = reader.read();
    return echoed.body();
  }

  @Override
  public void close() throws IOException {
    child.getOutputStream().close();
    try {
      if (!child.waitFor(5, TimeUnit.SECONDS)) {
        child.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      child.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
