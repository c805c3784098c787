package dev.airlock.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.annotation.Airlock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 36: a stdio server frees a request's place among the 32 that may await their answers when it sees
 * the answer go out, which it recognized by parsing it under the bounds of a client's message. An answer those bounds
 * refuse (nested deeper than 64, or longer than a message: a result's text and its structured copy are each up to a
 * message long) freed nothing, so 32 such answers, which a sandboxed tool's guest chooses, left the session refusing
 * every request for good: call 32 got "at most 32 requests may await their answers", as did every later one (both
 * tools alike; an honest result of more than half a message does the same).
 */
@Timeout(180)
class AirlockMcpServerAnswerSlotsTest {

  /** Returns what its sandbox chose: a map nested 70 deep, whose structured copy nests deeper than a message may. */
  public static class DeepTools {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public Map<String, Object> deep() {
      Map<String, Object> top = new HashMap<>();
      Map<String, Object> level = top;
      for (int i = 0; i < 70; i++) {
        Map<String, Object> next = new HashMap<>();
        level.put("a", next);
        level = next;
      }
      return top;
    }

    /** A map whose text fits a message, and whose answer, that text and its structured copy, does not. */
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public Map<String, Object> wide() {
      return Map.of("text", "x".repeat(5_000));
    }
  }

  @Test
  void answersTheBoundsOfAClientsMessageRefuseStillFreeTheirRequestsPlaces() throws Exception {
    AirlockMcpServer server = AirlockMcpServer.builder().name("deep").tools(new DeepTools()).maxMessageBytes(8192)
        .build();
    try (PipedStdio client = new PipedStdio(server, "deep")) {
      for (int i = 0; i < 40; i++) {
        client.send(RawMcp.toolCall(100 + i, i % 2 == 0 ? "deep" : "wide", "{}"));
        String answer = client.next();
        assertThat(answer).as("answer to call " + i).isNotNull().contains("\"id\":" + (100 + i))
            .doesNotContain("at most 32 requests");
      }
    }
  }
}
