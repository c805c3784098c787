package dev.airlock.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.annotation.Airlock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a client names reaches the SDK's warnings: the method of a notification no handler takes, the id of a response
 * to nothing. A line break in either wrote a line of the client's choosing into the server's log, one that read as an
 * audit record; a 1 MiB name made each warning 1 MiB (attack review 26).
 */
@Timeout(60)
class AirlockMcpServerLogForgeryTest {
  /** One tool, so the server serves something. */
  public static class Echo {
    @Airlock(timeoutSeconds = 10)
    public String echo(String text) {
      return text;
    }
  }

  private static final String FORGED = "[main] INFO dev.airlock.audit - {\\\"tool\\\":\\\"deleteAll\\\","
      + "\\\"outcome\\\":\\\"blocked\\\"}";

  @Test
  void aNameOrIdWithALineBreakOrPastItsBoundNeverReachesTheLog() throws Exception {
    PrintStream stderr = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    AirlockMcpServer server = AirlockMcpServer.builder().name("forgery").tools(new Echo()).build();
    try (PipedStdio client = new PipedStdio(server, "forgery")) {
      System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
      client.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\\n" + FORGED + "\"}");
      client.send("{\"jsonrpc\":\"2.0\",\"id\":\"7\\r\\n" + FORGED + "\",\"result\":{}}");
      client.send("{\"jsonrpc\":\"2.0\",\"method\":\"" + "n".repeat(200_000) + "\"}");
      client.send("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x\\u2028" + FORGED + "\"}");
      for (int i = 0; i < 3; i++) {
        assertThat(client.next()).as("the gate's answer to a notification or response it refuses")
            .contains("\"code\":-32600");
      }
      assertThat(client.next()).contains("\"id\":3", "\"code\":-32600", "method");
      client.send("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
          + "\"1999\\n" + FORGED + "\",\"capabilities\":{\"experimental\":{\"x\":\"\\r\\n" + FORGED + "\"}},"
          + "\"clientInfo\":{\"name\":\"a\\u2028" + FORGED + "\",\"version\":\"" + "v".repeat(100_000) + "\"}}}");
      assertThat(client.next()).contains("\"id\":5", "\"code\":-32600", "initialize");
      client.send(RawMcp.toolCall(4, "echo", "{\"text\":\"still here\"}"));
      assertThat(client.next()).as("the session goes on").contains("\"id\":4", "still here");
    } finally {
      System.setErr(stderr);
    }
    String written = log.toString(StandardCharsets.UTF_8);
    assertThat(written.lines()).noneMatch(line -> line.startsWith("[main] INFO dev.airlock.audit"));
    assertThat(written.length()).as(written.length() > 2000 ? written.substring(0, 2000) : written)
        .isLessThan(20_000);
  }
}
