package dev.airlock.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.annotation.Airlock;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stdio client that sends tool calls faster than they are answered. The SDK reads every line into an unbounded
 * queue and hands each call to a thread of a pool of its own, queued there too: 300 calls of 512 KiB to a tool that
 * took 20 s grew the server's heap by 303 MiB before the first answer, and 600 ended a 256 MiB server with
 * OutOfMemoryError (attack review 26).
 */
@Timeout(120)
class AirlockMcpServerStdioFloodTest {
  static final CountDownLatch RELEASE = new CountDownLatch(1);
  static final AtomicInteger STARTED = new AtomicInteger();

  /** Holds its callers until the test lets them go. */
  public static class SlowTools {
    @Airlock(timeoutSeconds = 60)
    public String slow(String text) throws InterruptedException {
      STARTED.incrementAndGet();
      RELEASE.await(60, TimeUnit.SECONDS);
      return "done " + text.length();
    }
  }

  @Test
  void callsPastTheBoundOfRequestsAwaitingAnswersAreRefusedAtOnceAndTheSessionGoesOn() throws Exception {
    PipedOutputStream client = new PipedOutputStream();
    PipedInputStream serverIn = new PipedInputStream(client, 1 << 16);
    PipedInputStream clientIn = new PipedInputStream(1 << 20);
    PipedOutputStream serverOut = new PipedOutputStream(clientIn);
    AirlockMcpServer server = AirlockMcpServer.builder().name("flood").tools(new SlowTools()).build();
    Thread serving = new Thread(() -> {
      try {
        server.serveStdio(serverIn, serverOut);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    serving.setDaemon(true);
    serving.start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(clientIn, StandardCharsets.UTF_8))) {
        in.lines().forEach(lines::add);
      } catch (Exception e) {
        lines.add("reader failed: " + e);
      }
    });
    reader.setDaemon(true);
    reader.start();
    send(client, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"flood\",\"version\":\"1\"}}}");
    assertThat(lines.poll(60, TimeUnit.SECONDS)).contains("\"id\":1");
    send(client, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

    int calls = 200;
    String text = "x".repeat(64 * 1024);
    for (int i = 0; i < calls; i++) {
      send(client, RawMcp.toolCall(100 + i, "slow", "{\"text\":\"" + text + "\"}"));
    }
    List<String> refused = new ArrayList<>();
    while (refused.size() < calls - 32) {
      String line = lines.poll(30, TimeUnit.SECONDS);
      assertThat(line).as("an answer to each call past the bound, before any call ends").isNotNull();
      refused.add(line);
    }
    assertThat(refused).allSatisfy(line -> assertThat(line).contains("\"code\":-32000", "at most 32 requests"));
    assertThat(STARTED.get()).isLessThanOrEqualTo(32);

    RELEASE.countDown();
    List<String> answered = new ArrayList<>();
    while (answered.size() < 32) {
      String line = lines.poll(30, TimeUnit.SECONDS);
      assertThat(line).as("the calls within the bound are answered").isNotNull();
      answered.add(line);
    }
    assertThat(answered).allSatisfy(line -> assertThat(line).contains("done 65536"));
    send(client, RawMcp.toolCall(999, "slow", "{\"text\":\"again\"}"));
    assertThat(lines.poll(30, TimeUnit.SECONDS)).as("the session goes on").contains("\"id\":999", "done 5");
    client.close();
  }

  private static void send(OutputStream out, String line) throws Exception {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
