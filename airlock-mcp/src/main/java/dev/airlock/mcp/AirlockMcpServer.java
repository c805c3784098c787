package dev.airlock.mcp;

/**
 * Serves the {@code @Airlock} methods of given objects as a Model Context Protocol server, over stdio or streamable
 * HTTP; every {@code tools/call} goes through Airlock's one interceptor.
 */
public final class AirlockMcpServer {
  private AirlockMcpServer() {
  }
}
