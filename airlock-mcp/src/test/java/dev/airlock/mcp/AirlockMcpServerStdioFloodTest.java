package dev.airlock.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.annotation.Airlock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
    AirlockMcpServer server = AirlockMcpServer.builder().name("flood").tools(new SlowTools()).build();
    try (PipedStdio client = new PipedStdio(server, "flood")) {
      int calls = 200;
      String text = "x".repeat(64 * 1024);
      for (int i = 0; i < calls; i++) {
        client.send(RawMcp.toolCall(100 + i, "slow", "{\"text\":\"" + text + "\"}"));
      }
      List<String> refused = new ArrayList<>();
      while (refused.size() < calls - 32) {
        String line = client.next();
        assertThat(line).as("an answer to each call past the bound, before any call ends").isNotNull();
        refused.add(line);
      }
      assertThat(refused).allSatisfy(line -> assertThat(line).contains("\"code\":-32000", "at most 32 requests"));
      assertThat(STARTED.get()).isLessThanOrEqualTo(32);

      RELEASE.countDown();
      List<String> answered = new ArrayList<>();
      while (answered.size() < 32) {
        String line = client.next();
        assertThat(line).as("the calls within the bound are answered").isNotNull();
        answered.add(line);
      }
      assertThat(answered).allSatisfy(line -> assertThat(line).contains("done 65536"));
      client.send(RawMcp.toolCall(999, "slow", "{\"text\":\"again\"}"));
      assertThat(client.next()).as("the session goes on").contains("\"id\":999", "done 5");
    }
  }
}
