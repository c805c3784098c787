package dev.airlock.samples.mcpserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The app on a real port; the official MCP Java SDK client lists and calls its tools over streamable HTTP. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(180)
class McpServerSampleTest {
  @LocalServerPort
  private int port;

  private McpSyncClient client;

  @BeforeEach
  void connect() {
    client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + port).endpoint("/mcp")
        .build()).requestTimeout(Duration.ofSeconds(60)).build();
    client.initialize();
  }

  @AfterEach
  void close() {
    client.closeGracefully();
  }

  @Test
  void theBeansAirlockMethodsAreToolsWithSchemas() {
    assertThat(client.listTools().tools()).extracting(Tool::name).containsExactlyInAnyOrder("findAll",
        "deleteCorpus");
    Tool findAll = client.listTools().tools().stream().filter(t -> t.name().equals("findAll")).findFirst()
        .orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> limit = (Map<String, Object>) ((Map<String, Object>) findAll.inputSchema().get("properties"))
        .get("limit");
    assertThat(limit).containsEntry("type", "integer").containsEntry("minimum", 1).containsEntry("maximum", 100);
  }

  @Test
  void aCallRunsInTheSandbox() {
    CallToolResult result = call("findAll", Map.of("regex", "a+b", "text", "aab ab b", "limit", 10));
    assertThat(result.isError()).as(text(result)).isFalse();
    assertThat(result.structuredContent()).isEqualTo(Map.of("matches", List.of("aab", "ab"), "sandboxed", true));
  }

  @Test
  void aRunawayRegexTimesOutInTheSandboxAndTheSessionGoesOn() {
    // Backtracking through a back reference: the JDK's loop memoization does not apply, so this runs for hours.
    CallToolResult runaway = call("findAll", Map.of("regex", "((a+)+)\\2b", "text", "a".repeat(40) + "!", "limit", 1));
    assertThat(runaway.isError()).isTrue();
    assertThat(text(runaway)).contains("SandboxTimeoutException");
    assertThat(call("findAll", Map.of("regex", "b", "text", "abc", "limit", 1)).isError()).isFalse();
  }

  @Test
  void aDeniedToolTellsTheModelWhy() {
    CallToolResult denied = call("deleteCorpus", Map.of("name", "all"));
    assertThat(denied.isError()).isTrue();
    assertThat(text(denied)).contains("\"blocked\":true", "\"reason\":\"DENIED\"", "delete*");
  }

  private CallToolResult call(String tool, Map<String, Object> arguments) {
    return client.callTool(CallToolRequest.builder().name(tool).arguments(arguments).build());
  }

  private static String text(CallToolResult result) {
    return ((TextContent) result.content().get(0)).text();
  }
}
