/**
 * The Model Context Protocol. {@code AirlockMcpServer} serves the {@code @Airlock} methods of given objects as an
 * MCP server (stdio or streamable HTTP); {@code AirlockMcpGateway} puts Airlock's guard in front of an MCP server you
 * do not own. Every tool call goes through the one interceptor: policy, validation, the sandbox, masking, audit.
 */
package dev.airlock.mcp;
