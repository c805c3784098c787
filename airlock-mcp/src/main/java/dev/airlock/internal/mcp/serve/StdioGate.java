package dev.airlock.internal.mcp.serve;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Stands between a stdio client and the SDK's stdio transport, which ends the whole session on the first line it
 * cannot read. Each line is admitted only when it is at most {@code maxLineBytes} long (a longer one is skipped to its
 * end without being kept), parses under {@link McpJson}'s bounds and has the shape of a JSON-RPC 2.0 message; any
 * other line is answered with a JSON-RPC error of its own (-32700 parse error, -32600 invalid request) and dropped,
 * so a bad message costs the client one error and the session goes on. Memory per line is bounded by
 * {@code maxLineBytes}; the work by the parser's bounds.
 */
final class StdioGate extends InputStream {
  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;

  private final InputStream in;
  private final OutputStream out;
  private final JsonMapper json;
  private final int maxLineBytes;
  private final CountDownLatch ended = new CountDownLatch(1);
  private byte[] line = new byte[0];
  private int position;

  /**
   * @param out the stream the SDK writes its messages to: replies are written under its lock, as the SDK's are, so
   *     that a reply never lands inside one of its messages
   */
  StdioGate(InputStream in, OutputStream out, JsonMapper json, int maxLineBytes) {
    this.in = new BufferedInputStream(in);
    this.out = out;
    this.json = json;
    this.maxLineBytes = maxLineBytes;
  }

  /** Counted down when the client's input has ended. */
  CountDownLatch ended() {
    return ended;
  }

  @Override
  public int read() throws IOException {
    if (position == line.length && !nextLine()) {
      return -1;
    }
    return line[position++] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    if (position == line.length && !nextLine()) {
      return -1;
    }
    int count = Math.min(length, line.length - position);
    System.arraycopy(line, position, buffer, offset, count);
    position += count;
    return count;
  }

  /** Reads lines until one is admitted (true) or the input ends (false). */
  private boolean nextLine() throws IOException {
    while (true) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      long length = 0;
      int b;
      while ((b = in.read()) != -1 && b != '\n') {
        if (++length <= maxLineBytes) {
          bytes.write(b);
        }
      }
      if (b == -1 && length == 0) {
        ended.countDown();
        return false;
      }
      if (length > maxLineBytes) {
        reply(null, INVALID_REQUEST, "message of " + length + " bytes refused: at most " + maxLineBytes
            + " bytes per message");
      } else if (admitted(bytes.toByteArray())) {
        bytes.write('\n');
        line = bytes.toByteArray();
        position = 0;
        return true;
      }
      if (b == -1) {
        ended.countDown();
        return false;
      }
    }
  }

  private boolean admitted(byte[] bytes) throws IOException {
    if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
      return false;
    }
    JsonNode message;
    try {
      message = json.readTree(bytes);
    } catch (JacksonException e) {
      reply(null, PARSE_ERROR, "parse error: " + e.getOriginalMessage());
      return false;
    }
    JsonNode id = message.isObject() ? message.get("id") : null;
    Object replyId = id != null && (id.isString() || id.isIntegralNumber()) ? id : null;
    String problem = problem(message);
    if (problem != null) {
      reply(replyId, INVALID_REQUEST, "invalid request: " + problem);
      return false;
    }
    return true;
  }

  /** What makes {@code message} no JSON-RPC 2.0 request, notification or response, or null. */
  private static String problem(JsonNode message) {
    if (!message.isObject()) {
      return "a message is one JSON object (batches are not part of MCP)";
    }
    if (!"2.0".equals(message.path("jsonrpc").asString(null))) {
      return "\"jsonrpc\" must be \"2.0\"";
    }
    JsonNode id = message.get("id");
    if (id != null && !id.isString() && !id.isIntegralNumber()) {
      return "\"id\" must be a string or an integer";
    }
    JsonNode method = message.get("method");
    if (method != null) {
      JsonNode params = message.get("params");
      if (!method.isString()) {
        return "\"method\" must be a string";
      }
      return params == null || params.isObject() ? null : "\"params\" must be an object";
    }
    if (id == null || !(message.has("result") ^ message.has("error"))) {
      return "a message has a \"method\", or an \"id\" and one of \"result\" and \"error\"";
    }
    return null;
  }

  private void reply(Object id, int code, String message) throws IOException {
    ObjectNode reply = json.createObjectNode().put("jsonrpc", "2.0");
    reply.putPOJO("id", id);
    reply.putObject("error").put("code", code).put("message", message);
    byte[] bytes = (json.writeValueAsString(reply) + "\n").getBytes(StandardCharsets.UTF_8);
    synchronized (out) {
      out.write(bytes);
      out.flush();
    }
  }
}
