package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.internal.backend.GuestText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * JSON-RPC 2.0 messages as MCP's stdio transport carries them: one JSON object per line. Both peers of the gateway
 * are untrusted, so a line is bounded in bytes, and its JSON in nesting depth, string and number length, before a tree
 * exists.
 */
final class JsonRpc {
  /** Deeper JSON than this is refused while parsing; no tool schema or result of sane design comes close. */
  static final int MAX_DEPTH = 64;
  static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS,
      true);

  // JSON-RPC error codes.
  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;
  static final int METHOD_NOT_FOUND = -32601;
  static final int INVALID_PARAMS = -32602;
  static final int INTERNAL_ERROR = -32603;
  /** The upstream did not answer (in time, or at all). */
  static final int UPSTREAM_ERROR = -32001;

  private final ObjectMapper mapper;
  private final int maxLineBytes;

  JsonRpc(int maxLineBytes) {
    this.maxLineBytes = maxLineBytes;
    JsonFactory factory = JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
        .maxNestingDepth(MAX_DEPTH).maxStringLength(maxLineBytes).maxNumberLength(64).build()).build();
    this.mapper = new ObjectMapper(factory);
  }

  int maxLineBytes() {
    return maxLineBytes;
  }

  /** A message that is not a JSON-RPC object (a batch, a scalar, bad JSON): the peer gets an error, not a crash. */
  static final class MalformedMessageException extends IOException {
    MalformedMessageException(String message) {
      super(message);
    }
  }

  /** One line as a JSON-RPC message; anything else is refused with the reason. */
  ObjectNode parse(String line) throws MalformedMessageException {
    JsonNode node;
    try {
      node = mapper.readTree(line);
    } catch (JsonProcessingException e) {
      // The parser quotes the bad token, which is the peer's text: escaped, as everything of a peer's in a log is.
      throw new MalformedMessageException("not JSON within the gateway's bounds (depth " + MAX_DEPTH
          + ", " + maxLineBytes + " bytes): " + GuestText.escape(e.getOriginalMessage()));
    }
    if (!(node instanceof ObjectNode object)) {
      throw new MalformedMessageException("a JSON-RPC message must be one JSON object (batches are not part of MCP)");
    }
    if (!"2.0".equals(object.path("jsonrpc").asText())) {
      throw new MalformedMessageException("not JSON-RPC 2.0: the \"jsonrpc\" member must be \"2.0\"");
    }
    JsonNode id = object.get("id");
    if (id != null && !id.isTextual() && !id.isIntegralNumber()) {
      throw new MalformedMessageException("a JSON-RPC id must be a string or an integer");
    }
    return object;
  }

  String write(JsonNode message) {
    try {
      return mapper.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }

  /** A line too long for the gateway: the stream cannot be trusted to resynchronise, so the peer is dropped. */
  static final class OversizedLineException extends IOException {
    OversizedLineException(int limit) {
      super("a message line is longer than " + limit + " bytes (airlock.mcp max-message-bytes)");
    }
  }

  /**
   * Reads one line of at most {@code maxLineBytes} bytes (without its newline), or {@code null} at the end of the
   * stream. Never holds more than the bound: a longer line throws as soon as the bound is passed.
   */
  static String readLine(InputStream in, int maxLineBytes) throws IOException {
    byte[] buffer = new byte[Math.min(8192, maxLineBytes + 1)];
    int length = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        return length == 0 ? null : new String(buffer, 0, length, StandardCharsets.UTF_8);
      }
      if (b == '\n') {
        if (length > 0 && buffer[length - 1] == '\r') {
          length--;
        }
        return new String(buffer, 0, length, StandardCharsets.UTF_8);
      }
      if (length == maxLineBytes) {
        throw new OversizedLineException(maxLineBytes);
      }
      if (length == buffer.length) {
        buffer = Arrays.copyOf(buffer, Math.min(maxLineBytes + 1, buffer.length * 2));
      }
      buffer[length++] = (byte) b;
    }
  }

  /** The whole of {@code in}, at most {@code maxBytes} bytes; more throws as soon as the bound is passed. */
  static String readAll(InputStream in, int maxBytes) throws IOException {
    byte[] body = in.readNBytes(maxBytes + 1);
    if (body.length > maxBytes) {
      throw new OversizedLineException(maxBytes);
    }
    return new String(body, StandardCharsets.UTF_8);
  }

  static ObjectNode error(JsonNode id, int code, String message) {
    ObjectNode out = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0");
    out.set("id", id == null ? JsonNodeFactory.instance.nullNode() : id);
    out.putObject("error").put("code", code).put("message", message);
    return out;
  }

  static ObjectNode result(JsonNode id, JsonNode result) {
    ObjectNode out = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0");
    out.set("id", id);
    out.set("result", result);
    return out;
  }

  static ObjectNode request(long id, String method, JsonNode params) {
    ObjectNode out = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
    if (params != null) {
      out.set("params", params);
    }
    return out;
  }

  /** A tool result the model reads: MCP's way to report a refused or failed call without ending the session. */
  static ObjectNode toolError(String text) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.putArray("content").addObject().put("type", "text").put("text", text);
    result.put("isError", true);
    return result;
  }

  /** The canonical text of a JSON value: object members sorted by name, no whitespace. */
  static String canonical(JsonNode node) {
    try {
      return CANONICAL.writeValueAsString(CANONICAL.treeToValue(node, Object.class));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }
}
