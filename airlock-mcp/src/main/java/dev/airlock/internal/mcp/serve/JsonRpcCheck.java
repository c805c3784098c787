package dev.airlock.internal.mcp.serve;

import java.nio.charset.StandardCharsets;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Admits one message from an MCP client, before the SDK reads it: it must parse under {@link McpJson}'s bounds and
 * have the shape of a JSON-RPC 2.0 request, notification or response. What is refused gets an error reply of our own
 * (-32700 parse error, -32600 invalid request) naming the problem, so the SDK's paths for unreadable input, which end
 * a stdio session or answer with a serialized exception and its stack trace, are never taken. Shared by both
 * transports.
 */
final class JsonRpcCheck {
  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;
  /** MCP's longest method, {@code notifications/resources/list_changed}, is 35. */
  static final int MAX_METHOD_CHARS = 128;
  static final int MAX_ID_CHARS = 256;
  /** An initialize's text: a protocol version, client info and capabilities take a few hundred characters. */
  static final int MAX_INITIALIZE_CHARS = 8_192;
  /** JSON-RPC's range for a server's own errors. */
  static final int SERVER_BUSY = -32000;

  private final JsonMapper json;
  /**
   * Reads the server's own messages, which a client's bounds do not fit: an answer carries a result's text and its
   * structured copy, each up to a message long, nested as deep as the result. Read under the client's bounds, an
   * answer nested 70 deep, or longer than a message, freed no place among the requests awaiting answers, so 32 such
   * answers, a sandboxed tool's guest's choice, left a stdio session refusing every request for good (attack review
   * 36). Parsing it only skips values; its size is what the server wrote.
   */
  private static final JsonMapper SERVER_MESSAGES = JsonMapper.builder(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Integer.MAX_VALUE)
          .maxStringLength(Integer.MAX_VALUE).maxNameLength(Integer.MAX_VALUE).maxNumberLength(Integer.MAX_VALUE)
          .build())
      .build()).build();

  JsonRpcCheck(JsonMapper json) {
    this.json = json;
  }

  /** The error reply for {@code message}, or null when it is admitted. */
  String refusal(byte[] message) {
    return admission(message).refusal();
  }

  /**
   * What becomes of {@code message}: its error reply, or null when it is admitted, and whether it is a request (which
   * the server answers), with its id.
   */
  Admission admission(byte[] message) {
    JsonNode tree;
    try {
      tree = json.readTree(message);
    } catch (JacksonException e) {
      return new Admission(reply(null, PARSE_ERROR, "parse error: " + e.getOriginalMessage()), null);
    }
    String problem = problem(tree);
    JsonNode id = tree.isObject() ? tree.get("id") : null;
    if (problem == null) {
      return new Admission(null, id != null && tree.has("method") ? id : null);
    }
    return new Admission(reply(id != null && (id.isString() || id.isIntegralNumber()) ? id : null, INVALID_REQUEST,
        "invalid request: " + problem), null);
  }

  /**
   * @param refusal the error reply, or null when the message is admitted
   * @param requestId the id of an admitted request, which the server answers; null for anything else
   */
  record Admission(String refusal, JsonNode requestId) {
  }

  /**
   * Whether {@code message}, one the server writes, answers a request: it has an {@code id} and no {@code method}.
   * Read as tokens, its values skipped, nothing of it kept.
   */
  boolean isAnswer(byte[] message, int offset, int length) {
    try (JsonParser parser = SERVER_MESSAGES.createParser(message, offset, length)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      boolean id = false;
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String name = parser.currentName();
        if (name.equals("method")) {
          return false;
        }
        id |= name.equals("id");
        parser.nextToken();
        parser.skipChildren();
      }
      return id;
    } catch (JacksonException e) {
      return false;
    }
  }

  /** True for a message that is only white space (stdio skips those). */
  static boolean blank(byte[] message) {
    return new String(message, StandardCharsets.UTF_8).isBlank();
  }

  /**
   * Whether {@code text} is at most {@code max} characters from {@code lowest} to {@code ~}. The SDK writes a
   * notification's method that no handler takes, and the id of a response to nothing, into warnings: a line break in
   * either wrote a log line of the client's choosing (one that read as an audit record), and a 1 MiB name made each
   * warning 1 MiB (attack review 26).
   */
  private static boolean plain(String text, int max, char lowest) {
    return text.length() <= max && text.chars().allMatch(c -> c >= lowest && c <= '~');
  }

  /**
   * Whether the names and strings under {@code node} hold no control or line-separator character and, counted in
   * {@code chars}, at most {@link #MAX_INITIALIZE_CHARS}. The SDK logs an {@code initialize}'s protocol version,
   * capabilities and client info, so they forged log lines as a method could (attack review 26).
   */
  private static boolean plainText(JsonNode node, int[] chars) {
    if (node.isString()) {
      return plainLine(node.asString(), chars);
    }
    for (var property : node.properties()) {
      if (!plainLine(property.getKey(), chars) || !plainText(property.getValue(), chars)) {
        return false;
      }
    }
    for (JsonNode element : node.isArray() ? node : List.<JsonNode>of()) {
      if (!plainText(element, chars)) {
        return false;
      }
    }
    return true;
  }

  private static boolean plainLine(String text, int[] chars) {
    chars[0] += text.length();
    return chars[0] <= MAX_INITIALIZE_CHARS && text.chars().noneMatch(c -> Character.isISOControl(c)
        || Character.getType(c) == Character.LINE_SEPARATOR || Character.getType(c) == Character.PARAGRAPH_SEPARATOR);
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
    if (id != null && id.isString() && !plain(id.asString(), MAX_ID_CHARS, ' ')) {
      return "a string \"id\" must be at most " + MAX_ID_CHARS + " printable ASCII characters";
    }
    JsonNode method = message.get("method");
    if (method != null) {
      JsonNode params = message.get("params");
      if (!method.isString()) {
        return "\"method\" must be a string";
      }
      if (!plain(method.asString(), MAX_METHOD_CHARS, '!')) {
        return "\"method\" must be at most " + MAX_METHOD_CHARS + " printable ASCII characters without spaces, as "
            + "MCP's methods are";
      }
      if (params != null && !params.isObject()) {
        return "\"params\" must be an object";
      }
      if (method.asString().equals("initialize") && params != null && !plainText(params, new int[] {0})) {
        return "the params of initialize must hold at most " + MAX_INITIALIZE_CHARS + " characters of text, "
            + "without control or line-separator characters";
      }
      return null;
    }
    if (id == null || !(message.has("result") ^ message.has("error"))) {
      return "a message has a \"method\", or an \"id\" and one of \"result\" and \"error\"";
    }
    return null;
  }

  /** A JSON-RPC error response, one line. */
  String reply(Object id, int code, String message) {
    ObjectNode reply = json.createObjectNode().put("jsonrpc", "2.0");
    reply.putPOJO("id", id);
    reply.putObject("error").put("code", code).put("message", message);
    return json.writeValueAsString(reply);
  }
}
