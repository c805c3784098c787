package dev.airlock.internal.mcp.serve;

import dev.airlock.AirlockContext;
import dev.airlock.internal.intercept.AirlockInterceptor;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import jakarta.servlet.http.HttpServlet;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;

/**
 * The served tools and the SDK server around them, for each transport: the same tools, the same bounded JSON, and
 * the SDK's own check of every call's arguments against the tool's input schema (a mismatch is an {@code isError}
 * result naming the violation) before the arguments are converted and the interceptor runs.
 */
public final class ToolServer {
  /** How long the SDK waits for the client's answer to a request of its own (none today: tools only). */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /** Streamable HTTP sessions a server keeps open at once by default: one loop opened thousands. */
  public static final int DEFAULT_MAX_SESSIONS = 256;
  /** Streamable HTTP sessions idle this long are closed, so abandoned sessions do not pile up. */
  private static final Duration SESSION_SWEEP = Duration.ofMinutes(1);

  private static final List<String> LOOPBACK_HOSTS = List.of("localhost:*", "127.0.0.1:*", "[::1]:*");

  private final String name;
  private final String version;
  private final int maxMessageBytes;
  private final JsonMapper wire;
  private final List<ServedTool> tools;

  public ToolServer(String name, String version, List<?> targets, AirlockInterceptor interceptor,
      int maxMessageBytes) {
    this.name = name;
    this.version = version;
    this.maxMessageBytes = maxMessageBytes;
    this.wire = McpJson.wire(maxMessageBytes);
    this.tools = ServedTool.of(targets, interceptor, wire);
  }

  public List<ServedTool> tools() {
    return tools;
  }

  /** A running stdio server: {@link Stdio#awaitEnd()} returns when the client closes its side. */
  public Stdio stdio(InputStream in, OutputStream out) {
    StdioGate gate = new StdioGate(in, out, wire, maxMessageBytes);
    McpSyncServer server = build(McpServer.sync(new SerialSends(new StdioServerTransportProvider(sdkJson(), gate,
        gate.answers(), maxMessageBytes))));
    return new Stdio(server, gate);
  }

  /**
   * The streamable HTTP transport: a servlet for {@code endpoint}, to be mapped there with async support; the SDK's
   * servlet behind {@link GuardedServlet}. A request from a web page (one with an {@code Origin} header) is refused
   * (403), and with {@code loopbackHostsOnly} a request whose {@code Host} is not a loopback name is too (421): a page
   * that rebinds its own domain name to 127.0.0.1 can then not reach tools served on this machine. At most
   * {@code maxSessions} sessions are open at once; an {@code initialize} past that is refused with 503.
   */
  public HttpServlet httpServlet(String endpoint, boolean loopbackHostsOnly, int maxSessions) {
    DefaultServerTransportSecurityValidator.Builder security = DefaultServerTransportSecurityValidator.builder();
    if (loopbackHostsOnly) {
      security.allowedHosts(LOOPBACK_HOSTS);
    }
    HttpServletStreamableServerTransportProvider servlet = HttpServletStreamableServerTransportProvider.builder()
        .jsonMapper(sdkJson())
        .securityValidator(security.build())
        .mcpEndpoint(endpoint)
        .maxRequestSize(maxMessageBytes)
        .sessionSweepInterval(SESSION_SWEEP)
        .build();
    build(McpServer.sync(servlet));
    // The SDK closes a session idle for one sweep interval at the next sweep: idle for two, it is gone.
    return new GuardedServlet(servlet, wire, maxMessageBytes,
        new SessionLimit(maxSessions, SESSION_SWEEP.multipliedBy(2)));
  }

  private McpJsonMapper sdkJson() {
    return McpJson.sdk(wire);
  }

  private McpSyncServer build(McpServer.SyncSpecification<?> specification) {
    return specification.serverInfo(name, version).jsonMapper(sdkJson()).requestTimeout(REQUEST_TIMEOUT)
        .capabilities(ServerCapabilities.builder().tools(false).build()).tools(specifications())
        .validateToolInputs(true).build();
  }

  private List<SyncToolSpecification> specifications() {
    return tools.stream().map(tool -> SyncToolSpecification.builder().tool(tool.tool())
        .callHandler((exchange, request) -> {
          try (AirlockContext.Scope scope = callerOf(exchange).bind()) {
            return tool.call(request.arguments());
          }
        }).build()).toList();
  }

  /**
   * Who is calling, for policies' per-session limits and audit records: the MCP session and the client's own name
   * ({@code mcp:<name>}, cut to 128 characters; a client names itself, so it identifies nothing). A context the
   * application bound on this thread wins. It grants no role.
   */
  static AirlockContext callerOf(McpSyncServerExchange exchange) {
    Optional<AirlockContext> bound = AirlockContext.current();
    if (bound.isPresent()) {
      return bound.get();
    }
    String client = exchange.getClientInfo() == null || exchange.getClientInfo().name() == null ? "mcp"
        : "mcp:" + exchange.getClientInfo().name();
    return new AirlockContext(client.length() > 128 ? client.substring(0, 128) : client, exchange.sessionId(),
        Set.of(), Map.of());
  }

  /** One stdio session. */
  public static final class Stdio {
    private final McpSyncServer server;
    private final StdioGate gate;

    Stdio(McpSyncServer server, StdioGate gate) {
      this.server = server;
      this.gate = gate;
    }

    /** Blocks until the client's input ends, then closes the server. */
    public void awaitEnd() throws InterruptedException {
      try {
        gate.ended().await();
      } finally {
        server.closeGracefully();
      }
    }
  }
}
