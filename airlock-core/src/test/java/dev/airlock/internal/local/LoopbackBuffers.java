package dev.airlock.internal.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest's way to hold the host's kernel memory in socket buffers (attack review 24), for the tests of every backend
 * that runs workers on this machine's kernel.
 */
public final class LoopbackBuffers {
  private LoopbackBuffers() {
  }

  /**
   * Pages of TCP memory the host may still take before it reaches half of {@code tcp_mem}'s pressure threshold: past
   * it every TCP socket of the host would suffer, so a test never queues more.
   */
  public static long tcpPagesBelowHalfThePressureThreshold() throws IOException {
    // Read whole in one go (a buffered reader): a sysctl file read in pieces answers only its first one.
    long pressure = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_mem")).get(0).trim()
        .split("\\s+")[0]);
    Matcher used = Pattern.compile("TCP: .* mem (\\d+)").matcher(String.join("\n",
        Files.readAllLines(Path.of("/proc/net/sockstat"))));
    return pressure / 2 - (used.find() ? Long.parseLong(used.group(1)) : 0);
  }

  /**
   * Connects to itself over the loopback and writes until each connection's buffers are full, never reading, until
   * {@code target} bytes are queued or the kernel refuses; the bytes queued. Closes every connection before it returns.
   */
  public static long queueUnread(long target) throws IOException {
    List<SocketChannel> open = new ArrayList<>();
    ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 16);
    long queued = 0;
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      while (queued < target) {
        SocketChannel client = SocketChannel.open(server.getLocalAddress());
        open.add(client);
        open.add(server.accept());
        client.configureBlocking(false);
        long before = queued;
        for (int n; queued < target && (n = client.write(chunk.clear())) > 0; ) {
          queued += n;
        }
        if (queued == before) {
          break;
        }
      }
    } finally {
      for (SocketChannel channel : open) {
        channel.close();
      }
    }
    return queued;
  }
}
