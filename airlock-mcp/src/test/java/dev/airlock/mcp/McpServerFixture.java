package dev.airlock.mcp;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.AirlockRuntime;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.util.Map;

/** What the MCP tests share: the runtime a served tool runs under, and reading a tool result. */
final class McpServerFixture {
  private McpServerFixture() {
  }

  /** The local backend, one worker per call, and the policy that denies {@code delete*}. */
  static void configureRuntime() {
    AirlockRuntime.configure(AirlockConfig.builder().backend("local").poolMinSize(0).poolMaxSize(2).build());
    AirlockRuntime.registerPolicy("mcp-test", AirlockPolicy.builder().deny("delete*").build());
  }

  static CallToolResult call(McpSyncClient client, String tool, Map<String, Object> arguments) {
    return client.callTool(McpSchema.CallToolRequest.builder().name(tool).arguments(arguments).build());
  }

  static String text(CallToolResult result) {
    return ((TextContent) result.content().get(0)).text();
  }
}
