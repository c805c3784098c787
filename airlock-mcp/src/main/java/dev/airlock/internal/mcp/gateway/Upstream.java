package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.function.Consumer;

/** The MCP server the gateway guards, as a stream of JSON-RPC messages. Everything it sends is untrusted. */
interface Upstream extends AutoCloseable {

  /**
   * Connects; {@code onMessage} then receives each well-formed message, and {@code onEnd} once, with the reason,
   * when the upstream is gone (exit, end of stream, a message past the bounds).
   */
  void start(Consumer<ObjectNode> onMessage, Consumer<String> onEnd) throws IOException;

  void send(ObjectNode message) throws IOException;

  /** Ends the connection; for a process, the process and every descendant it started are killed and reaped. */
  @Override
  void close();
}
