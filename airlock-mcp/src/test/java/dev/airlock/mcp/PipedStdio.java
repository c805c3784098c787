package dev.airlock.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A stdio server in this JVM, on pipes, and a client that writes raw lines to it and reads its lines back. */
final class PipedStdio implements AutoCloseable {
  private final PipedOutputStream client = new PipedOutputStream();
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  /** Serves {@code server} and initializes a session as client {@code name}. */
  PipedStdio(AirlockMcpServer server, String name) throws Exception {
    PipedInputStream serverIn = new PipedInputStream(client, 1 << 16);
    PipedInputStream clientIn = new PipedInputStream(1 << 20);
    PipedOutputStream serverOut = new PipedOutputStream(clientIn);
    daemon(() -> {
      try {
        server.serveStdio(serverIn, serverOut);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    daemon(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(clientIn, StandardCharsets.UTF_8))) {
        in.lines().forEach(lines::add);
      } catch (Exception e) {
        lines.add("reader failed: " + e);
      }
    });
    send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"" + name + "\",\"version\":\"1\"}}}");
    assertThat(next()).contains("\"id\":1");
    send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
  }

  private static void daemon(Runnable task) {
    Thread thread = new Thread(task);
    thread.setDaemon(true);
    thread.start();
  }

  void send(String line) throws Exception {
    client.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    client.flush();
  }

  /** The server's next line within 30 s, or null. */
  String next() throws InterruptedException {
    return lines.poll(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    client.close();
  }
}
