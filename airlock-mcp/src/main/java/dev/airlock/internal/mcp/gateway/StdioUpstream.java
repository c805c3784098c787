package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upstream MCP server started as a child process speaking MCP over its stdin and stdout. Its stderr goes to the
 * log, line by line and bounded. {@link #close} kills the whole process tree ({@code npx} starts {@code node} as a
 * child) and waits for it, so no upstream outlives the gateway's session.
 */
final class StdioUpstream implements Upstream {
  private static final Logger LOG = LoggerFactory.getLogger(StdioUpstream.class);
  private static final int MAX_STDERR_LINE = 2048;
  private static final Duration REAP_WAIT = Duration.ofSeconds(5);

  private final List<String> command;
  private final JsonRpc json;
  private final AtomicBoolean ended = new AtomicBoolean();
  private Process process;
  private OutputStream stdin;
  private Consumer<String> onEnd;

  StdioUpstream(List<String> command, JsonRpc json) {
    this.command = List.copyOf(command);
    this.json = json;
  }

  @Override
  public void start(Consumer<ObjectNode> onMessage, Consumer<String> onEnd) throws IOException {
    this.onEnd = onEnd;
    try {
      process = new ProcessBuilder(command).start();
    } catch (IOException e) {
      throw new IOException("cannot start the upstream MCP server " + command + ": " + e.getMessage()
          + " (check upstream.command: the program must be on the PATH)", e);
    }
    stdin = process.getOutputStream();
    Thread out = new Thread(() -> readMessages(onMessage), "airlock-mcp-upstream-out");
    out.setDaemon(true);
    out.start();
    Thread err = new Thread(this::drainStderr, "airlock-mcp-upstream-err");
    err.setDaemon(true);
    err.start();
  }

  private void readMessages(Consumer<ObjectNode> onMessage) {
    String reason = "the upstream closed its output";
    try (InputStream in = new BufferedInputStream(process.getInputStream())) {
      String line;
      while ((line = JsonRpc.readLine(in, json.maxLineBytes())) != null) {
        if (line.isBlank()) {
          continue;
        }
        try {
          onMessage.accept(json.parse(line));
        } catch (JsonRpc.MalformedMessageException e) {
          LOG.warn("Dropped a malformed message from the upstream MCP server: {}", e.getMessage());
        }
      }
    } catch (IOException e) {
      reason = e.getMessage();
    }
    end(reason);
  }

  private void drainStderr() {
    try (InputStream in = new BufferedInputStream(process.getErrorStream())) {
      byte[] line = new byte[MAX_STDERR_LINE];
      int length = 0;
      for (int b = in.read(); b >= 0; b = in.read()) {
        if (b == '\n') {
          LOG.debug("upstream stderr: {}", GatewaySession.shown(new String(line, 0, length, StandardCharsets.UTF_8)));
          length = 0;
        } else if (length < line.length) {
          line[length++] = (byte) b;
        }
      }
    } catch (IOException e) {
      // The process is gone; its exit is reported by the output reader.
    }
  }

  @Override
  public synchronized void send(ObjectNode message) throws IOException {
    if (ended.get()) {
      throw new IOException("the upstream MCP server has ended");
    }
    stdin.write((json.write(message) + "\n").getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  private void end(String reason) {
    if (ended.compareAndSet(false, true)) {
      LOG.info("Upstream MCP server {} ended: {}", command, GatewaySession.shown(reason));
      kill();
      onEnd.accept(reason);
    }
  }

  @Override
  public void close() {
    end("the gateway closed the session");
  }

  /** Descendants first: once the parent dies they are re-parented and no longer found through it. */
  private void kill() {
    if (process == null) {
      return;
    }
    List<ProcessHandle> tree = process.descendants().toList();
    tree.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(REAP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      for (ProcessHandle child : tree) {
        child.onExit().get(REAP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("An upstream process did not exit within {}: {}", REAP_WAIT, e.toString());
    }
  }
}
