package dev.airlock.bench;

import dev.airlock.wire.ChannelStreams;
import dev.airlock.wire.Frame;
import dev.airlock.wire.FrameReader;
import dev.airlock.wire.FrameWriter;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/**
 * The floor's child process: connects to the host's unix socket like a worker does and sends every frame back
 * unchanged, with no decoding, no call and no threads.
 */
public final class EchoChild {

  private EchoChild() {
  }

  public static void main(String[] args) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(args[0]));
      FrameReader reader = new FrameReader(ChannelStreams.input(channel), Integer.MAX_VALUE / 2);
      FrameWriter writer = new FrameWriter(ChannelStreams.output(channel));
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
}
