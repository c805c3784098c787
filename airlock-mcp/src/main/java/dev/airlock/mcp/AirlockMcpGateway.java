package dev.airlock.mcp;

import dev.airlock.AirlockContext;
import dev.airlock.AirlockPolicy;
import dev.airlock.internal.mcp.gateway.GatewayConfig;
import dev.airlock.internal.mcp.gateway.GatewaySession;
import dev.airlock.internal.mcp.gateway.GatewaySettings;
import dev.airlock.internal.mcp.gateway.HttpGateway;
import dev.airlock.internal.mcp.gateway.StdioGateway;
import dev.airlock.internal.mcp.gateway.ToolPolicies;
import dev.airlock.internal.mcp.gateway.UpstreamAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A guard in front of an MCP server you do not own: an MCP client connects to the gateway, the gateway starts the
 * upstream server and forwards the protocol, and every tool call passes Airlock's guard (policy, argument validation
 * against the upstream's own schema, approval, masking and truncation of the output, one audit record). Tool
 * definitions are pinned by hash: a definition that changes later is hidden until a person approves it. Tool
 * definitions and outputs are scanned for prompt-injection markers.
 *
 * <pre>{@code
 * AirlockMcpGateway gateway = AirlockMcpGateway.builder()
 *     .upstreamCommand("npx", "-y", "@modelcontextprotocol/server-everything")
 *     .policy(AirlockPolicy.builder().deny("delete*").rateLimit("30/minute").build())
 *     .pinsFile(Path.of("pins.json"))
 *     .build();
 * gateway.serveStdio(System.in, System.out);   // until either side ends
 * }</pre>
 *
 * <p>It guards calls and what comes back; it does not sandbox the upstream server, which runs with the rights of
 * the process that starts it (or, for a remote server, wherever it runs).
 */
public final class AirlockMcpGateway implements AutoCloseable {

  /** What the gateway does with text that carries prompt-injection markers. */
  public enum InjectionAction {
    /** Pass it on; the audit record and the log name the finding. */
    FLAG,
    /** Remove hidden characters and replace each finding with a marker; audit and log it. */
    STRIP,
    /** Hide the tool, or withhold the output behind a tool error; audit and log it. */
    BLOCK
  }

  /** Asked before each call of a tool that needs approval; {@code true} lets the call through. */
  @FunctionalInterface
  public interface Approver {
    boolean approve(String tool, String argumentsJson);
  }

  /** A tool definition held back until a person approves it. */
  public record HeldTool(String name, String change, String pinnedHash, String newHash, String definitionJson) {
  }

  private final UpstreamAddress upstream;
  private final GatewaySettings settings;
  private volatile GatewaySession session;

  private AirlockMcpGateway(Builder b) {
    this.upstream = new UpstreamAddress(b.upstreamCommand.isEmpty() ? null : b.upstreamCommand, b.upstreamUrl);
    Map<String, AirlockPolicy> policies = new LinkedHashMap<>(b.policies);
    if (b.defaultPolicy != null) {
      policies.put(ToolPolicies.DEFAULT, b.defaultPolicy);
    }
    this.settings = new GatewaySettings(new ToolPolicies(policies, b.toolPolicies, b.approvalGlobs),
        b.approver == null ? null : b.approver::approve, b.descriptionAction, b.outputAction, b.pinsFile, b.caller,
        b.maxMessageBytes, b.callTimeout, b.maxInFlight);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder from configuration keys (a properties file: see docs/mcp.md); a bad key or value fails naming the key
   * and the fix.
   */
  public static Builder builder(Map<String, String> config) {
    return GatewayConfig.apply(config, builder());
  }

  /**
   * Starts the upstream and serves one client over {@code in} and {@code out} (MCP's stdio transport: one JSON-RPC
   * message per line) until the client closes its input or the upstream ends; the upstream is stopped then.
   */
  public void serveStdio(InputStream in, OutputStream out) throws IOException, InterruptedException {
    StdioGateway stdio = new StdioGateway(settings, upstream, in, out);
    session = stdio.session();
    stdio.run();
  }

  /**
   * Starts the upstream and serves one client over MCP's streamable HTTP transport at
   * {@code http://<address>/mcp} (JSON answers, no event stream) until the upstream ends or {@link #close}. Bind a
   * loopback address: the gateway authenticates no one; a browser page is refused by its {@code Origin}.
   */
  public void serveHttp(InetSocketAddress address) throws IOException, InterruptedException {
    HttpGateway http = new HttpGateway(settings, upstream, address);
    session = http.session();
    http.run();
  }

  /** The tool definitions held back in the running session, until {@link #approve}. */
  public List<HeldTool> heldTools() {
    GatewaySession current = session;
    return current == null ? List.of() : current.heldTools().stream().map(c -> new HeldTool(c.tool(), c.kind(),
        c.pinnedHash(), c.newHash(), c.definition().toString())).toList();
  }

  /**
   * A person accepts the held definition of {@code tool}: it is pinned (and written to the pins file) and shown
   * from the next {@code tools/list} on. False when nothing of that name is held.
   */
  public boolean approve(String tool) {
    GatewaySession current = session;
    return current != null && current.approve(tool);
  }

  /** Stops the upstream; a running {@link #serveStdio} returns. */
  @Override
  public void close() {
    GatewaySession current = session;
    if (current != null) {
      current.close();
    }
  }

  /** Mutable builder; {@link #build()} returns the gateway. */
  public static final class Builder {
    private final List<String> upstreamCommand = new ArrayList<>();
    private URI upstreamUrl;
    private AirlockPolicy defaultPolicy;
    private final Map<String, AirlockPolicy> policies = new LinkedHashMap<>();
    private final Map<String, String> toolPolicies = new LinkedHashMap<>();
    private final List<String> approvalGlobs = new ArrayList<>();
    private Approver approver;
    private InjectionAction descriptionAction = InjectionAction.BLOCK;
    private InjectionAction outputAction = InjectionAction.STRIP;
    private Path pinsFile;
    private AirlockContext caller = new AirlockContext("mcp-client", null, Set.of(), Map.of());
    private int maxMessageBytes = 4 * 1024 * 1024;
    private Duration callTimeout = Duration.ofSeconds(60);
    private int maxInFlight = 64;

    private Builder() {
    }

    /** The upstream MCP server: a program and its arguments, started as a child speaking MCP on stdin/stdout. */
    public Builder upstreamCommand(String... command) {
      return upstreamCommand(List.of(command));
    }

    public Builder upstreamCommand(List<String> command) {
      upstreamCommand.clear();
      upstreamCommand.addAll(command);
      return this;
    }

    /** The upstream MCP server at a URL, over streamable HTTP ({@code https://host/mcp}). */
    public Builder upstreamUrl(URI url) {
      this.upstreamUrl = Objects.requireNonNull(url, "url");
      return this;
    }

    /** The policy of every tool no {@link #policy(String, String, AirlockPolicy)} glob matches. */
    public Builder policy(AirlockPolicy policy) {
      this.defaultPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Tools whose name matches {@code toolGlob} ({@code *}, {@code ?}) are governed by {@code policy}. */
    public Builder policy(String toolGlob, String policyName, AirlockPolicy policy) {
      policies.put(policyName, Objects.requireNonNull(policy, "policy"));
      toolPolicies.put(toolGlob, policyName);
      return this;
    }

    /** Each call of a tool matching one of these globs needs a yes from the {@link #approver}. */
    public Builder requireApproval(String... toolGlobs) {
      approvalGlobs.addAll(List.of(toolGlobs));
      return this;
    }

    public Builder approver(Approver approver) {
      this.approver = approver;
      return this;
    }

    /** For tool definitions (and the server's instructions); default {@code BLOCK}: such a tool is hidden. */
    public Builder descriptionAction(InjectionAction action) {
      this.descriptionAction = Objects.requireNonNull(action, "action");
      return this;
    }

    /** For tool outputs and resource or prompt contents; default {@code STRIP}. */
    public Builder outputAction(InjectionAction action) {
      this.outputAction = Objects.requireNonNull(action, "action");
      return this;
    }

    /** Pins that outlive the session; without, the first listing of each session is trusted. */
    public Builder pinsFile(Path file) {
      this.pinsFile = file;
      return this;
    }

    /** Who calls: the roles policies check, the agent and session the audit records name. */
    public Builder caller(AirlockContext caller) {
      this.caller = Objects.requireNonNull(caller, "caller");
      return this;
    }

    /** The longest JSON-RPC message accepted from either side; default 4 MiB. */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxMessageBytes must be at least 1024, was " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /** How long a request waits for the upstream; default 60 s. */
    public Builder callTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("callTimeout must be positive, was " + timeout);
      }
      this.callTimeout = timeout;
      return this;
    }

    /** How many requests may wait for the upstream at once; default 64. */
    public Builder maxInFlight(int requests) {
      if (requests < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1, was " + requests);
      }
      this.maxInFlight = requests;
      return this;
    }

    public AirlockMcpGateway build() {
      return new AirlockMcpGateway(this);
    }
  }
}
