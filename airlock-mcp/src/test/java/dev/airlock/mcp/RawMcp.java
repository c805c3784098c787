package dev.airlock.mcp;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Streamable HTTP by hand, for the messages no well-behaved client sends. */
final class RawMcp {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private RawMcp() {
  }

  /** An initialized session's id. */
  static String initialize(HttpClient http, URI uri) throws Exception {
    HttpResponse<String> response = post(http, uri, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
        + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
        + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
    String session = response.headers().firstValue("Mcp-Session-Id").orElseThrow(() ->
        new AssertionError("no session id: " + response.statusCode() + " " + response.body()));
    post(http, uri, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    return session;
  }

  static String toolCall(int id, String tool, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + arguments + "}}";
  }

  static HttpResponse<String> post(HttpClient http, URI uri, String session, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      request.header("Mcp-Session-Id", session);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
