package dev.airlock.mcp;

/** A stdio MCP server of {@link McpTools}, the child process of the stdio tests. Argument: maxMessageBytes. */
public final class McpStdioMain {
  private McpStdioMain() {
  }

  public static void main(String[] args) throws InterruptedException {
    McpServerFixture.configureRuntime();
    AirlockMcpServer server = AirlockMcpServer.builder().name("airlock-stdio-test").tools(new McpTools())
        .maxMessageBytes(Integer.parseInt(args[0])).build();
    server.serveStdio();
  }
}
