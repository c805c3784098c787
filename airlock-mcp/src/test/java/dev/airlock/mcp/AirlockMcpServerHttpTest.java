package dev.airlock.mcp;

import static dev.airlock.mcp.McpServerFixture.call;
import static dev.airlock.mcp.McpServerFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockRuntime;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The official MCP Java SDK client against {@link AirlockMcpServer} over streamable HTTP on a real port. */
@Timeout(300)
class AirlockMcpServerHttpTest {
  private static AirlockMcpServer server;
  private static URI uri;
  private static McpSyncClient client;

  @BeforeAll
  static void start() {
    McpServerFixture.configureRuntime();
    server = AirlockMcpServer.builder().name("airlock-test").tools(new McpTools()).maxMessageBytes(64 * 1024).build();
    uri = server.startHttp(new InetSocketAddress("127.0.0.1", 0));
    client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + uri.getPort())
        .endpoint(uri.getPath()).build()).requestTimeout(Duration.ofSeconds(120)).build();
    client.initialize();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.closeGracefully();
    }
    if (server != null) {
      server.close();
    }
    AirlockRuntime.closePools();
  }

  @Test
  void listsEveryAirlockMethodWithItsSchema() {
    Map<String, Tool> tools = client.listTools().tools().stream()
        .collect(Collectors.toMap(Tool::name, Function.identity()));
    assertThat(tools).containsOnlyKeys("whereAmI", "crash", "deleteEverything", "summarize", "caller");
    Tool where = tools.get("whereAmI");
    assertThat(where.description()).isEqualTo("Calls McpTools.whereAmI(greeting, tone) in an isolated sandbox.");
    Map<String, Object> schema = where.inputSchema();
    assertThat(schema).containsEntry("type", "object").containsEntry("additionalProperties", false)
        .containsEntry("required", List.of("greeting", "tone"));
    assertThat(property(schema, "greeting")).containsEntry("type", "string").containsEntry("minLength", 1)
        .containsEntry("maxLength", 40).containsEntry("pattern", "\\S");
    assertThat(property(schema, "tone")).containsEntry("type", "string").containsEntry("enum", List.of("PLAIN", "LOUD"));
    Map<String, Object> lines = property(tools.get("summarize").inputSchema(), "lines");
    assertThat(lines).containsEntry("type", "array").containsEntry("minItems", 1).containsEntry("maxItems", 5);
    @SuppressWarnings("unchecked")
    Map<String, Object> line = (Map<String, Object>) lines.get("items");
    assertThat(property(line, "repeat")).containsEntry("type", "integer").containsEntry("minimum", 1)
        .containsEntry("maximum", 10);
    assertThat(line).containsEntry("required", List.of("text", "repeat"));
  }

  @Test
  void aSandboxedToolRunsInAWorkerOfTheLocalBackend() {
    CallToolResult result = call(client, "whereAmI", Map.of("greeting", "hello", "tone", "LOUD"));
    assertThat(result.isError()).as(text(result)).isFalse();
    assertThat(text(result)).isEqualTo("HELLO FROM THE SANDBOX");
  }

  @Test
  void aBlockIsAToolErrorTheModelCanReadAndTheSessionGoesOn() {
    CallToolResult blocked = call(client, "deleteEverything", Map.of());
    assertThat(blocked.isError()).isTrue();
    assertThat(text(blocked)).contains("\"blocked\":true", "\"reason\":\"DENIED\"", "\"tool\":\"deleteEverything\"");
    assertThat(call(client, "summarize", Map.of("lines", List.of(Map.of("text", "ab", "repeat", 2)))).isError())
        .isFalse();
  }

  @Test
  void aSandboxFailureIsAToolErrorAndTheSessionGoesOn() {
    CallToolResult crashed = call(client, "crash", Map.of());
    assertThat(crashed.isError()).isTrue();
    assertThat(text(crashed)).contains("\"error\":\"SandboxCrashedException\"", "\"tool\":\"crash\"");
    CallToolResult after = call(client, "whereAmI", Map.of("greeting", "still here", "tone", "PLAIN"));
    assertThat(text(after)).isEqualTo("still here from the sandbox");
  }

  @Test
  void aCallIsBoundToItsMcpSessionAndClientSoPerSessionLimitsAndAuditSeeIt() {
    String caller = text(call(client, "caller", Map.of()));
    assertThat(caller).startsWith("mcp:").contains(" in session ").doesNotEndWith("null");
  }

  @Test
  void aStructuredResultIsJsonTextAndStructuredContent() {
    CallToolResult result = call(client, "summarize", Map.of("lines",
        List.of(Map.of("text", "abc", "repeat", 2), Map.of("text", "de", "repeat", 1))));
    assertThat(result.isError()).as(text(result)).isFalse();
    assertThat(text(result)).isEqualTo("{\"lines\":2,\"characters\":8,\"where\":\"host\"}");
    assertThat(result.structuredContent()).isEqualTo(Map.of("lines", 2, "characters", 8, "where", "host"));
  }

  @Test
  void argumentsOfTheWrongTypeAreToolErrorsNamingTheArgument() {
    CallToolResult number = call(client, "whereAmI", Map.of("greeting", 5, "tone", "PLAIN"));
    assertThat(number.isError()).isTrue();
    assertThat(text(number)).contains("greeting");
    CallToolResult quoted = call(client, "summarize", Map.of("lines", List.of(Map.of("text", "a", "repeat", "3"))));
    assertThat(quoted.isError()).isTrue();
    assertThat(text(quoted)).contains("repeat");
    CallToolResult unknownEnum = call(client, "whereAmI", Map.of("greeting", "hi", "tone", "WHISPER"));
    assertThat(unknownEnum.isError()).isTrue();
    CallToolResult extra = call(client, "whereAmI", Map.of("greeting", "hi", "tone", "PLAIN", "shell", "rm -rf /"));
    assertThat(extra.isError()).isTrue();
    assertThat(text(extra)).contains("shell");
  }

  @Test
  void clientsThatSendTheirBodySlowlyHoldNoThread() throws Exception {
    // Bodies were read with blocking reads: each POST whose body trickled held one of the container's 32 threads for
    // as long as it trickled, and 40 of them left no client an answer.
    List<java.net.Socket> slow = new java.util.ArrayList<>();
    Thread trickle = new Thread(() -> {
      try {
        while (true) {
          Thread.sleep(1000);
          for (java.net.Socket socket : slow) {
            try {
              socket.getOutputStream().write(' ');
            } catch (java.io.IOException closed) {
              // closed by the server: what the test waits for
            }
          }
        }
      } catch (InterruptedException done) {
        // the test is over
      }
    });
    try {
      for (int i = 0; i < 40; i++) {
        java.net.Socket socket = new java.net.Socket("127.0.0.1", uri.getPort());
        slow.add(socket);
        socket.getOutputStream().write(("POST " + uri.getPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            + "Content-Length: 1000\r\n\r\n{").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      trickle.setDaemon(true);
      trickle.start();
      Thread.sleep(500);
      long start = System.nanoTime();
      String session = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return RawMcp.initialize(HttpClient.newHttpClient(), uri);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }).get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(session).isNotBlank();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
      for (java.net.Socket socket : slow) {
        socket.setSoTimeout(30_000);
        String answer = new String(socket.getInputStream().readAllBytes(),
            java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(answer).as("refused and closed").startsWith("HTTP/1.1 408").contains("did not arrive whole");
      }
    } finally {
      trickle.interrupt();
      for (java.net.Socket socket : slow) {
        socket.close();
      }
    }
  }

  @Test
  void bigAndDeepMessagesAreRefusedAndTheServerStaysUsable() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String session = RawMcp.initialize(http, uri);
    // Above maxMessageBytes (64 KiB): refused without being read whole.
    HttpResponse<String> big = RawMcp.post(http, uri, session, RawMcp.toolCall(7, "whereAmI",
        "{\"greeting\":\"" + "x".repeat(200_000) + "\",\"tone\":\"PLAIN\"}"));
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(big.body()).contains("\"code\":-32600", "at most 65536 bytes");
    // Nested far beyond the parser's depth bound, well within the size bound.
    HttpResponse<String> deep = RawMcp.post(http, uri, session, RawMcp.toolCall(8, "whereAmI",
        "{\"greeting\":" + "[".repeat(5_000) + "]".repeat(5_000) + ",\"tone\":\"PLAIN\"}"));
    assertThat(deep.statusCode()).isEqualTo(400);
    assertThat(deep.body()).contains("\"code\":-32700").containsIgnoringCase("nesting depth");
    HttpResponse<String> garbage = RawMcp.post(http, uri, session, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":");
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(garbage.body()).contains("\"code\":-32700");
    HttpResponse<String> notJsonRpc = RawMcp.post(http, uri, session, "[{\"jsonrpc\":\"2.0\",\"id\":11}]");
    assertThat(notJsonRpc.body()).contains("\"code\":-32600", "batches");
    // An error the SDK answers itself (no such session) names no class and carries no stack trace.
    HttpResponse<String> noSession = RawMcp.post(http, uri, "no-such-session", RawMcp.toolCall(12, "crash", "{}"));
    assertThat(noSession.statusCode()).isBetween(400, 499);
    assertThat(noSession.body()).doesNotContain("stackTrace", "io.modelcontextprotocol", "Tomcat");
    // The same session still answers.
    HttpResponse<String> fine = RawMcp.post(http, uri, session, RawMcp.toolCall(10, "summarize",
        "{\"lines\":[{\"text\":\"ok\",\"repeat\":1}]}"));
    assertThat(fine.statusCode()).isEqualTo(200);
    assertThat(fine.body()).contains("\\\"lines\\\":1");
  }

  /** A web page's request (Origin), or one whose Host is another name for this address (DNS rebinding). */
  @Test
  void requestsFromWebPagesAndForeignHostNamesAreRefused() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String initialize = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
        + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"page\",\"version\":\"1\"}}}";
    HttpResponse<String> fromPage = http.send(HttpRequest.newBuilder(uri).header("Origin", "http://evil.example")
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(initialize)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(fromPage.statusCode()).isEqualTo(403);
    assertThat(fromPage.headers().firstValue("Mcp-Session-Id")).isEmpty();
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", uri.getPort())) {
      socket.setSoTimeout(30_000);
      byte[] body = initialize.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      socket.getOutputStream().write(("POST " + uri.getPath() + " HTTP/1.1\r\nHost: rebound.evil.example:"
          + uri.getPort() + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
          + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(
          java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().write(body);
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          java.nio.charset.StandardCharsets.US_ASCII)).readLine();
      assertThat(status).startsWith("HTTP/1.1 421");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> property(Map<String, Object> schema, String name) {
    return (Map<String, Object>) ((Map<String, Object>) schema.get("properties")).get(name);
  }
}
