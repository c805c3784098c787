package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 9: the work the proxy spends on a request body must follow its bytes, not how the guest frames
 * them. A chunked body of one-byte chunks ({@code 1\r\nX\r\n}, six bytes) made the proxy allocate a 1 KiB line
 * buffer and send three writes (three system calls, three TCP segments without Nagle) upstream per chunk: the
 * guest wrote its megabytes in a few calls, the host made millions.
 */
@Timeout(120)
class EgressChunkWorkTest extends ProxyTestBase {
  private static final int BODY_BYTES = 3 << 20;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private record Run(long proxyCpuNanos, long serverReads, long received) {
  }

  @Test
  void aBodyOfOneByteChunksCostsTheProxyAboutWhatTheSameBytesCostAsOneBody() throws Exception {
    start(EgressProxy.builder().resolver(EgressTestKit.resolver(Map.of())));
    StringBuilder chunked = new StringBuilder(BODY_BYTES + 16);
    while (chunked.length() < BODY_BYTES) {
      chunked.append("1\r\nX\r\n");
    }
    chunked.append("0\r\n\r\n");
    byte[] chunks = chunked.toString().getBytes(StandardCharsets.ISO_8859_1);

    // Warm both paths up, then measure.
    upload("Content-Length: " + chunks.length, chunks);
    upload("Transfer-Encoding: chunked", chunks);
    Run plain = upload("Content-Length: " + chunks.length, chunks);
    Run oneByteChunks = upload("Transfer-Encoding: chunked", chunks);

    System.out.printf("plain: %d ms CPU, %d server reads; one-byte chunks: %d ms CPU, %d server reads%n",
        plain.proxyCpuNanos / 1_000_000, plain.serverReads, oneByteChunks.proxyCpuNanos / 1_000_000,
        oneByteChunks.serverReads);
    assertThat(oneByteChunks.received).isEqualTo(plain.received);
    assertThat(oneByteChunks.serverReads).as("reads by the server: segments the proxy sent")
        .isLessThan(Math.max(200, 20 * plain.serverReads));
    assertThat(oneByteChunks.proxyCpuNanos).as("host CPU for the chunked body")
        .isLessThan(Math.max(TimeUnit.MILLISECONDS.toNanos(600), 5 * plain.proxyCpuNanos));
  }

  private Run upload(String framing, byte[] body) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, LOOPBACK)) {
      String authority = "127.0.0.1:" + server.getLocalPort();
      gate.beginCall(EgressRules.parse(List.of(authority), 64L << 20, Duration.ofSeconds(60)));
      CompletableFuture<long[]> served = CompletableFuture.supplyAsync(() -> drain(server));
      long processBefore = processCpu();
      long clientCpu;
      try (SocketChannel guest = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        guest.connect(UnixDomainSocketAddress.of(folder.resolve("egress.sock")));
        long clientStart = THREADS.getCurrentThreadCpuTime();
        write(guest, ("POST http://" + authority + "/up HTTP/1.1\r\nHost: " + authority + "\r\n" + framing
            + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        write(guest, body);
        clientCpu = THREADS.getCurrentThreadCpuTime() - clientStart;
        long[] seen = served.get(60, TimeUnit.SECONDS);
        long proxyCpu = processCpu() - processBefore - clientCpu - seen[2];
        gate.endCall();
        return new Run(proxyCpu, seen[1], seen[0]);
      }
    }
  }

  private static void write(SocketChannel channel, byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Reads until the request's last chunk or length is in, then answers; {bytes, reads, its own CPU}. */
  private static long[] drain(ServerSocket server) {
    try (Socket socket = server.accept()) {
      long start = THREADS.getCurrentThreadCpuTime();
      socket.setSoTimeout(2000);
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[64 * 1024];
      long bytes = 0;
      long reads = 0;
      long expected = -1;
      StringBuilder head = new StringBuilder();
      byte[] tail = new byte[5];
      try {
        int n;
        while ((n = in.read(buffer)) > 0) {
          reads++;
          bytes += n;
          if (head.length() < 4096) {
            head.append(new String(buffer, 0, Math.min(n, 4096), StandardCharsets.ISO_8859_1));
          }
          for (int i = Math.max(0, n - 5); i < n; i++) {
            System.arraycopy(tail, 1, tail, 0, 4);
            tail[4] = buffer[i];
          }
          if (new String(tail, StandardCharsets.ISO_8859_1).equals("0\r\n\r\n") || expected > 0 && bytes >= expected) {
            break;
          }
          int cl = head.indexOf("Content-Length: ");
          if (expected < 0 && cl >= 0 && head.indexOf("\r\n\r\n") > 0) {
            int end = head.indexOf("\r\n", cl);
            expected = head.indexOf("\r\n\r\n") + 4 + Long.parseLong(head.substring(cl + 16, end));
            if (bytes >= expected) {
              break;
            }
          }
        }
      } catch (java.net.SocketTimeoutException e) {
        // quiet: take what came
      }
      OutputStream out = socket.getOutputStream();
      out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return new long[] {bytes - head.indexOf("\r\n\r\n"), reads, THREADS.getCurrentThreadCpuTime() - start};
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
