package dev.airlock.internal.mcp.serve;

import java.nio.charset.StandardCharsets;
import tools.jackson.core.JacksonException;
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

  private final JsonMapper json;

  JsonRpcCheck(JsonMapper json) {
    this.json = json;
  }

  /** The error reply for {@code message}, or null when it is admitted. */
  String refusal(byte[] message) {
    JsonNode tree;
    try {
      tree = json.readTree(message);
    } catch (JacksonException e) {
      return reply(null, PARSE_ERROR, "parse error: " + e.getOriginalMessage());
    }
    String problem = problem(tree);
    if (problem == null) {
      return null;
    }
    JsonNode id = tree.isObject() ? tree.get("id") : null;
    return reply(id != null && (id.isString() || id.isIntegralNumber()) ? id : null, INVALID_REQUEST,
        "invalid request: " + problem);
  }

  /** True for a message that is only white space (stdio skips those). */
  static boolean blank(byte[] message) {
    return new String(message, StandardCharsets.UTF_8).isBlank();
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

  /** A JSON-RPC error response, one line. */
  String reply(Object id, int code, String message) {
    ObjectNode reply = json.createObjectNode().put("jsonrpc", "2.0");
    reply.putPOJO("id", id);
    reply.putObject("error").put("code", code).put("message", message);
    return json.writeValueAsString(reply);
  }
}
