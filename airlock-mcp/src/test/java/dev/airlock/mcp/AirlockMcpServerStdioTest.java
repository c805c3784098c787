package dev.airlock.mcp;

import static dev.airlock.mcp.McpServerFixture.call;
import static dev.airlock.mcp.McpServerFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link AirlockMcpServer} over stdio in a real child JVM: the official SDK client, then raw hostile lines. */
@Timeout(300)
class AirlockMcpServerStdioTest {
  private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  private static List<String> command(String heap, int maxMessageBytes) {
    return List.of(JAVA, heap, "-cp", System.getProperty("java.class.path"), McpStdioMain.class.getName(),
        String.valueOf(maxMessageBytes));
  }

  @Test
  void theSdkClientListsAndCallsToolsOfAChildJvm() {
    List<String> command = command("-Xmx256m", 1024 * 1024);
    StdioClientTransport transport = new StdioClientTransport(ServerParameters.builder(command.get(0))
        .args(command.subList(1, command.size())).build(), McpJsonDefaults.getMapper());
    McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(120)).build();
    try {
      client.initialize();
      assertThat(client.listTools().tools()).extracting(Tool::name)
          .containsExactlyInAnyOrder("whereAmI", "crash", "deleteEverything", "summarize", "caller");
      CallToolResult where = call(client, "whereAmI", Map.of("greeting", "hi", "tone", "PLAIN"));
      assertThat(text(where)).isEqualTo("hi from the sandbox");
      CallToolResult crashed = call(client, "crash", Map.of());
      assertThat(crashed.isError()).isTrue();
      assertThat(text(crashed)).contains("SandboxCrashedException");
      CallToolResult blocked = call(client, "deleteEverything", Map.of());
      assertThat(blocked.isError()).isTrue();
      assertThat(text(blocked)).contains("\"blocked\":true", "DENIED");
      assertThat(text(call(client, "whereAmI", Map.of("greeting", "again", "tone", "PLAIN"))))
          .isEqualTo("again from the sandbox");
    } finally {
      client.closeGracefully();
    }
  }

  /**
   * Hostile lines, each answered with an error while the session goes on, in a server with a 64 MiB heap: a line of
   * 128 MiB that it would have to keep whole (twice, as chars) would end it with an OutOfMemoryError.
   */
  @Test
  void hostileLinesAreAnsweredWithErrorsAndTheSessionGoesOn() throws Exception {
    Process server = new ProcessBuilder(command("-Xmx64m", 64 * 1024))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(server.getInputStream(),
            StandardCharsets.UTF_8))) {
          in.lines().forEach(lines::add);
        } catch (Exception e) {
          lines.add("reader failed: " + e);
        }
      });
      reader.setDaemon(true);
      reader.start();
      OutputStream in = server.getOutputStream();
      send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
          + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
      assertThat(next(lines)).contains("\"id\":1", "airlock-stdio-test");
      send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

      byte[] chunk = "x".repeat(1024 * 1024).getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 128; i++) {
        in.write(chunk);
      }
      send(in, "");
      assertThat(next(lines)).contains("\"code\":-32600", "134217728 bytes refused", "at most 65536");
      send(in, RawMcp.toolCall(2, "whereAmI", "{\"greeting\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}"));
      assertThat(next(lines)).contains("\"code\":-32700").containsIgnoringCase("nesting depth");
      send(in, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":");
      assertThat(next(lines)).contains("\"code\":-32700");
      send(in, "[1,2,3]");
      assertThat(next(lines)).contains("\"code\":-32600", "batches");
      send(in, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":\"whereAmI\"}");
      assertThat(next(lines)).contains("\"id\":4", "\"code\":-32600", "params");
      send(in, "{\"jsonrpc\":\"2.0\",\"id\":{\"$ref\":1},\"method\":\"tools/list\"}");
      assertThat(next(lines)).contains("\"id\":null", "\"code\":-32600");
      send(in, RawMcp.toolCall(5, "whereAmI", "{\"greeting\":5,\"tone\":\"PLAIN\"}"));
      assertThat(next(lines)).contains("\"id\":5", "\"isError\":true", "greeting");
      send(in, RawMcp.toolCall(6, "noSuchTool", "{}"));
      assertThat(next(lines)).contains("\"id\":6", "\"error\"");
      send(in, RawMcp.toolCall(7, "summarize", "{\"lines\":[{\"text\":\"ok\",\"repeat\":3}]}"));
      assertThat(next(lines)).contains("\"id\":7", "\"isError\":false", "\\\"characters\\\":6");

      in.close();
      assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("the server ends when its client closes stdin").isTrue();
      assertThat(server.exitValue()).isZero();
    } finally {
      server.destroyForcibly();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void send(OutputStream in, String line) throws Exception {
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** The next line of the server, within a minute (a hang fails the test instead of blocking it). */
  private static String next(BlockingQueue<String> lines) throws InterruptedException {
    String line = lines.poll(60, TimeUnit.SECONDS);
    assertThat(line).as("a line from the server within 60 s").isNotNull();
    return line;
  }
}
