package dev.airlock.internal.mcp.serve.spring;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code airlock.mcp.server.*}: whether and how the application's {@code @Airlock} beans are served over MCP.
 *
 * @param enabled serve them ({@code false} by default)
 * @param transport {@code http} (streamable HTTP on the application's own servlet container) or {@code stdio}
 * @param path the HTTP endpoint's path
 * @param name the server's name in the {@code initialize} answer
 * @param version the server's version in the {@code initialize} answer
 * @param maxMessageBytes the largest message a client may send
 * @param maxSessions streamable HTTP sessions open at once; an {@code initialize} past it is refused (503)
 */
@ConfigurationProperties("airlock.mcp.server")
public record McpServerProperties(
    @DefaultValue("false") boolean enabled,
    @DefaultValue("http") Transport transport,
    @DefaultValue("/mcp") String path,
    @DefaultValue("airlock") String name,
    @DefaultValue("1.0.0") String version,
    @DefaultValue("1048576") int maxMessageBytes,
    @DefaultValue("256") int maxSessions) {

  /** How clients reach the server. */
  public enum Transport { HTTP, STDIO }
}
