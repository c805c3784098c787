package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway on MCP's stdio transport, towards its client: one JSON-RPC message per line in each direction. A
 * malformed line is answered with an error and the session goes on; a line past the size bound ends the session
 * (the stream cannot be trusted to find the next message boundary), as does the end of the client's input.
 */
public final class StdioGateway {
  private static final Logger LOG = LoggerFactory.getLogger(StdioGateway.class);

  private final InputStream in;
  private final OutputStream out;
  private final GatewaySession session;
  private final JsonRpc json;

  public StdioGateway(GatewaySettings settings, UpstreamAddress upstream, InputStream in, OutputStream out) {
    this.in = new BufferedInputStream(in);
    this.out = out;
    this.json = new JsonRpc(settings.maxMessageBytes());
    this.session = new GatewaySession(settings, upstream.connect(settings), upstream.label(), this::write);
  }

  public GatewaySession session() {
    return session;
  }

  /** Serves until the client's input ends or the upstream ends; the upstream is stopped and reaped on return. */
  public void run() throws IOException, InterruptedException {
    try {
      session.start();
      Thread reader = new Thread(this::readClient, "airlock-mcp-client-in");
      reader.setDaemon(true);
      reader.start();
      String reason = session.awaitEnd();
      LOG.info("MCP gateway session ended: {}", reason);
    } finally {
      session.close();
    }
  }

  private void readClient() {
    try {
      String line;
      while (!session.hasEnded() && (line = JsonRpc.readLine(in, json.maxLineBytes())) != null) {
        if (line.isBlank()) {
          continue;
        }
        ObjectNode message;
        try {
          message = json.parse(line);
        } catch (JsonRpc.MalformedMessageException e) {
          session.onClientMalformed(e.getMessage());
          continue;
        }
        session.onClientMessage(message);
      }
    } catch (JsonRpc.OversizedLineException e) {
      session.onClientMalformed(e.getMessage() + "; the session ends");
    } catch (IOException e) {
      LOG.debug("MCP client input failed: {}", e.toString());
    } catch (RuntimeException e) {
      LOG.error("MCP gateway failed on a client message; the session ends", e);
    }
    session.close();
  }

  private synchronized void write(ObjectNode message) {
    try {
      out.write((json.write(message) + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      LOG.debug("MCP client output failed: {}", e.toString());
      session.close();
    }
  }
}
