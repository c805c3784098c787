package dev.airlock.samples.mcpserver;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Serves {@link TextTools} over MCP (streamable HTTP at {@code /mcp}), because application.yml says
 * {@code airlock.mcp.server.enabled: true}. Connect any MCP client, e.g. {@code npx @modelcontextprotocol/inspector}.
 */
@SpringBootApplication
public class McpServerSample {
  public static void main(String[] args) {
    SpringApplication.run(McpServerSample.class, args);
  }
}
