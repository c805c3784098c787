package dev.airlock.bench;

import dev.airlock.wire.ChannelStreams;
import dev.airlock.wire.Frame;
import dev.airlock.wire.FrameReader;
import dev.airlock.wire.FrameType;
import dev.airlock.wire.FrameWriter;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The physical floor of a call: one frame to a child JVM over a unix socket, with the framing the pool uses, and the
 * same frame back. Whatever a sandboxed call costs above this is Airlock's own.
 */
final class EchoFloor implements AutoCloseable {
  private final Process child;
  private final SocketChannel channel;
  private final FrameReader reader;
  private final FrameWriter writer;
  private final Path dir;

  private EchoFloor(Process child, SocketChannel channel, Path dir) {
    this.child = child;
    this.channel = channel;
    this.dir = dir;
    this.reader = new FrameReader(ChannelStreams.input(channel), Integer.MAX_VALUE / 2);
    this.writer = new FrameWriter(ChannelStreams.output(channel));
  }

  static EchoFloor start() throws IOException {
    Path dir = Files.createTempDirectory("airlock-echo-");
    Path socket = dir.resolve("echo.sock");
    Process child = null;
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      child = new ProcessBuilder(List.of(Jvm.java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-XX:-UsePerfData", "-cp", Jvm.classpath(), EchoChild.class.getName(), socket.toString()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      // A child that dies before connecting would block accept forever: bound it.
      Process started = child;
      Thread guard = new Thread(() -> {
        try {
          if (!started.waitFor(30, TimeUnit.SECONDS) || started.exitValue() != 0) {
            server.close();
          }
        } catch (InterruptedException | IOException e) {
          Thread.currentThread().interrupt();
        }
      }, "airlock-echo-guard");
      guard.setDaemon(true);
      guard.start();
      SocketChannel channel = server.accept();
      guard.interrupt();
      return new EchoFloor(child, channel, dir);
    } catch (IOException | RuntimeException e) {
      if (child != null) {
        child.destroyForcibly();
      }
      Files.deleteIfExists(socket);
      Files.deleteIfExists(dir);
      throw e;
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  /** Sends {@code body} as one frame and returns the echoed body. */
  byte[] roundTrip(byte[] body) throws IOException {
    writer.write(FrameType.INVOKE, body);
    Frame echoed = reader.read();
    return echoed.body();
  }

  @Override
  public void close() throws IOException {
    channel.close();
    try {
      if (!child.waitFor(5, TimeUnit.SECONDS)) {
        child.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      child.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    Files.deleteIfExists(dir);
  }
}
