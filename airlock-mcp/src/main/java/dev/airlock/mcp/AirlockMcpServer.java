package dev.airlock.mcp;

import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.internal.mcp.serve.HttpEndpoint;
import dev.airlock.internal.mcp.serve.ServedTool;
import dev.airlock.internal.mcp.serve.ToolServer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Serves the {@code @Airlock} methods of given objects as a Model Context Protocol server, over stdio or streamable
 * HTTP. Each tool's name, description and JSON input schema come from its method (parameter names: compile with
 * {@code -parameters}); every {@code tools/call} goes through Airlock's one interceptor: the policy, Bean Validation,
 * the sandbox, masking and the audit record. A blocked call, a bad argument or a failure in the sandbox is a tool
 * result with {@code isError: true} whose text the model can read, never a protocol error, so the session goes on.
 *
 * <pre>{@code
 * AirlockMcpServer server = AirlockMcpServer.builder().tools(new CodeTools()).build();
 * server.serveStdio();                                  // a client started this process
 * // or
 * URI uri = server.startHttp(new InetSocketAddress("127.0.0.1", 8080));   // http://127.0.0.1:8080/mcp
 * }</pre>
 *
 * <p>Clients are untrusted: each message is bounded ({@link Builder#maxMessageBytes}, 1 MiB by default) in size,
 * nesting, string and number length before anything reads it, and arguments are converted strictly to the declared
 * types, never to a class the JSON names.
 */
public final class AirlockMcpServer implements AutoCloseable {
  private final ToolServer server;
  private final String path;
  private final int maxMessageBytes;
  private final int maxSessions;
  private final List<HttpEndpoint> endpoints = new ArrayList<>();

  private AirlockMcpServer(Builder builder) {
    this.server = new ToolServer(builder.name, builder.version, builder.targets, AirlockInterceptor.shared(),
        builder.maxMessageBytes);
    this.path = builder.path;
    this.maxMessageBytes = builder.maxMessageBytes;
    this.maxSessions = builder.maxSessions;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The served tools' names, in the order {@code tools/list} gives them. */
  public List<String> toolNames() {
    return server.tools().stream().map(ServedTool::name).toList();
  }

  /**
   * Serves one client over this process's standard input and output until the client closes its side. Standard
   * output carries the protocol only: while serving, {@code System.out} is redirected to standard error, so a stray
   * print cannot corrupt a message (log to standard error as well).
   */
  public void serveStdio() throws InterruptedException {
    OutputStream protocol = new FileOutputStream(FileDescriptor.out);
    PrintStream previous = System.out;
    System.setOut(System.err);
    try {
      serveStdio(System.in, protocol);
    } finally {
      System.setOut(previous);
    }
  }

  /** Serves one client over these streams until {@code in} ends. */
  public void serveStdio(InputStream in, OutputStream out) throws InterruptedException {
    server.stdio(Objects.requireNonNull(in, "in"), Objects.requireNonNull(out, "out")).awaitEnd();
  }

  /**
   * Starts serving streamable HTTP at {@code address} (port 0: any free port) and the builder's path, and returns
   * the URL clients connect to. Bind to a loopback address unless a proxy in front authenticates clients: anyone who
   * reaches the port can call the tools (within their policies). Requests from web pages ({@code Origin} set) are
   * refused, and on a loopback address so are requests naming any other host (DNS rebinding).
   */
  public synchronized URI startHttp(InetSocketAddress address) {
    boolean loopback = address.getAddress() != null && address.getAddress().isLoopbackAddress();
    HttpEndpoint endpoint = HttpEndpoint.start(address, path, server.httpServlet(path, loopback, maxSessions),
        maxMessageBytes);
    endpoints.add(endpoint);
    return endpoint.uri();
  }

  /** Stops every HTTP endpoint this server started. */
  @Override
  public synchronized void close() {
    endpoints.forEach(HttpEndpoint::close);
    endpoints.clear();
  }

  /** Settings of an {@link AirlockMcpServer}; {@link #tools} is required. */
  public static final class Builder {
    private String name = "airlock";
    private String version = "1.0.0";
    private String path = "/mcp";
    private int maxMessageBytes = 1024 * 1024;
    private int maxSessions = ToolServer.DEFAULT_MAX_SESSIONS;
    private final List<Object> targets = new ArrayList<>();

    private Builder() {
    }

    /** The server's name in the {@code initialize} answer; {@code "airlock"} by default. */
    public Builder name(String name) {
      this.name = requireText(name, "name");
      return this;
    }

    /** The server's version in the {@code initialize} answer. */
    public Builder version(String version) {
      this.version = requireText(version, "version");
      return this;
    }

    /** Objects whose {@code @Airlock} methods become tools (on the method, what it overrides, or its class). */
    public Builder tools(Object... targets) {
      for (Object target : targets) {
        this.targets.add(Objects.requireNonNull(target, "a tools object is null"));
      }
      return this;
    }

    /** The HTTP path of the MCP endpoint; {@code /mcp} by default. */
    public Builder path(String path) {
      if (path == null || !path.startsWith("/") || path.contains("*")) {
        throw new IllegalArgumentException("Airlock MCP: the path must start with '/' and hold no '*': " + path);
      }
      this.path = path;
      return this;
    }

    /**
     * The largest message a client may send, in bytes (default 1 MiB); a larger one is refused unread. A tool
     * result whose text would be longer, in characters, is not sent either: the call is an error result
     * {@code ResultTooLarge}.
     */
    public Builder maxMessageBytes(int maxMessageBytes) {
      if (maxMessageBytes < 1024) {
        throw new IllegalArgumentException("Airlock MCP: maxMessageBytes must be at least 1024: " + maxMessageBytes);
      }
      this.maxMessageBytes = maxMessageBytes;
      return this;
    }

    /**
     * Streamable HTTP sessions open at once (default 256): an {@code initialize} past it is refused with 503 until a
     * client deletes its session or one has been idle for two minutes. A client opens one per connection it makes.
     */
    public Builder maxSessions(int maxSessions) {
      if (maxSessions < 1) {
        throw new IllegalArgumentException("Airlock MCP: maxSessions must be at least 1: " + maxSessions);
      }
      this.maxSessions = maxSessions;
      return this;
    }

    /**
     * @throws IllegalArgumentException when no tools were given or a tool cannot be served (the message names the
     *     method and the fix)
     */
    public AirlockMcpServer build() {
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("Airlock MCP: no tools: pass the objects whose @Airlock methods to serve "
            + "to tools(...)");
      }
      return new AirlockMcpServer(this);
    }

    private static String requireText(String value, String what) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("Airlock MCP: the " + what + " must not be blank");
      }
      return value;
    }
  }
}
