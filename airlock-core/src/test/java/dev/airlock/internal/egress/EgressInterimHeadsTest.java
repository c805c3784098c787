package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 9: an allowed server (one the guest controls, or any a guest can make answer so) sends interim
 * {@code 100 Continue} heads without end. The proxy read each with a fresh 64 KiB buffer and relayed it with its
 * own write and flush: 25 bytes of the server's cost the host a 64 KiB allocation and a system call, for as long
 * as the call's byte cap lasted. Real servers send one or two interim heads (100 Continue, 103 Early Hints).
 */
@Timeout(60)
class EgressInterimHeadsTest extends ProxyTestBase {

  @Test
  void aServerSendingInterimHeadsWithoutEndIsCutAfterAFew() throws Exception {
    start(EgressProxy.builder().resolver(EgressTestKit.resolver(Map.of())));
    try (ServerSocket server = new ServerSocket(0, 5, LOOPBACK)) {
      String authority = "127.0.0.1:" + server.getLocalPort();
      gate.beginCall(EgressRules.parse(List.of(authority), 64L << 20, Duration.ofSeconds(30)));
      CompletableFuture<Integer> sent = CompletableFuture.supplyAsync(() -> answer(server, 200_000));

      String got = raw("GET http://" + authority + "/ HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");

      assertThat(sent.get(30, TimeUnit.SECONDS)).as("interim heads the server could send").isLessThan(200_000);
      assertThat(got.split("HTTP/1.1 100 Continue", -1).length - 1).isLessThanOrEqualTo(EgressProxyLimits.MAX);
      assertThat(got).doesNotContain("HTTP/1.1 200 OK");
      assertThat(gate.endCall().refused()).singleElement().asString().contains("interim");
    }
  }

  @Test
  void aFewInterimHeadsBeforeTheAnswerAreRelayed() throws Exception {
    start(EgressProxy.builder().resolver(EgressTestKit.resolver(Map.of())));
    try (ServerSocket server = new ServerSocket(0, 5, LOOPBACK)) {
      String authority = "127.0.0.1:" + server.getLocalPort();
      gate.beginCall(rules(authority));
      CompletableFuture.supplyAsync(() -> answer(server, 3));

      String got = raw("GET http://" + authority + "/ HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");

      assertThat(got).startsWith("HTTP/1.1 100 Continue").contains("HTTP/1.1 200 OK").endsWith("ok");
      assertThat(gate.endCall().refused()).isEmpty();
    }
  }

  /** The limit the proxy keeps, named here so the test reads as the rule. */
  private static final class EgressProxyLimits {
    static final int MAX = ProxyConnection.MAX_INTERIM_HEADS;
  }

  /** Reads the request head, sends {@code interim} 100 Continue heads, then a 200; returns how many it sent. */
  private static int answer(ServerSocket server, int interim) {
    try (Socket socket = server.accept()) {
      readHead(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      byte[] head = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
      int sent = 0;
      try {
        for (; sent < interim; sent++) {
          out.write(head);
        }
        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        socket.shutdownOutput();
        socket.getInputStream().readAllBytes();
      } catch (IOException cut) {
        // the proxy closed the connection
      }
      return sent;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String raw(String request) throws IOException {
    try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
