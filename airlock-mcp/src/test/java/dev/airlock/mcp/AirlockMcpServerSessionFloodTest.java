package dev.airlock.mcp;

import static dev.airlock.mcp.McpServerFixture.call;
import static dev.airlock.mcp.McpServerFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockRuntime;
import dev.airlock.internal.mcp.serve.ToolServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hostile MCP client over streamable HTTP opens sessions in a loop: each {@code initialize} makes one, kept until
 * it has been idle for a sweep interval, and every session is also a fresh "session" to approval's per-session
 * limit. Live sessions must be bounded, and a client that was there first keeps working.
 */
@Timeout(300)
class AirlockMcpServerSessionFloodTest {
  private static final int FLOOD = 3_000;

  @Test
  void aClientCannotOpenSessionsWithoutBound() throws Exception {
    McpServerFixture.configureRuntime();
    AirlockMcpServer server = AirlockMcpServer.builder().name("airlock-test").tools(new McpTools()).build();
    McpSyncClient first = null;
    try {
      URI uri = server.startHttp(new InetSocketAddress("127.0.0.1", 0));
      first = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + uri.getPort())
          .endpoint(uri.getPath()).build()).requestTimeout(Duration.ofSeconds(120)).build();
      first.initialize();
      HttpClient http = HttpClient.newHttpClient();
      long before = usedHeap();
      int opened = 0;
      int refused = 0;
      for (int i = 0; i < FLOOD; i++) {
        HttpResponse<String> answer = RawMcp.post(http, uri, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
            + "\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
            + "\"clientInfo\":{\"name\":\"flood\",\"version\":\"1\"}}}");
        if (answer.headers().firstValue("Mcp-Session-Id").isPresent()) {
          opened++;
        } else {
          refused++;
          assertThat(answer.statusCode()).isEqualTo(503);
          assertThat(answer.body()).contains("sessions");
        }
      }
      long grown = usedHeap() - before;
      System.err.printf("flood: %d sessions opened, %d refused, heap grew by %d KiB (%d bytes a session)%n",
          opened, refused, grown / 1024, opened == 0 ? 0 : grown / opened);
      assertThat(opened).as("sessions a single client opened in a loop (the first client holds one)")
          .isEqualTo(ToolServer.DEFAULT_MAX_SESSIONS - 1);
      assertThat(text(call(first, "summarize", Map.of("lines", java.util.List.of(Map.of("text", "ok",
          "repeat", 1)))))).as("the client that was there first").contains("\"lines\":1");
    } finally {
      if (first != null) {
        first.closeGracefully();
      }
      server.close();
      AirlockRuntime.closePools();
    }
  }

  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
