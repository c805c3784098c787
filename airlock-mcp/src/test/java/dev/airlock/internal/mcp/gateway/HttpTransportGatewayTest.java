package dev.airlock.internal.mcp.gateway;

import static dev.airlock.internal.mcp.gateway.GatewayHarness.isError;
import static dev.airlock.internal.mcp.gateway.GatewayHarness.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockPolicy;
import dev.airlock.mcp.AirlockMcpGateway.InjectionAction;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streamable HTTP on both sides: the SDK client to the gateway over HTTP, and the gateway to a URL upstream. */
class HttpTransportGatewayTest {
  private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
      + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"client\","
      + "\"version\":\"1\"}}}";

  @TempDir
  Path dir;

  @Test
  void theSdkClientUsesTheGatewayOverStreamableHttp() throws Exception {
    GatewaySettings settings = GatewayHarness.settings(dir, Map.of(ToolPolicies.DEFAULT,
        AirlockPolicy.builder().deny("delete_*").build()), Map.of(), InjectionAction.BLOCK, InjectionAction.STRIP,
        Set.of());
    Path pid = dir.resolve("upstream.pid");
    HttpGateway gateway = new HttpGateway(settings, new UpstreamAddress(GatewayHarness.upstreamCommand(pid), null),
        new InetSocketAddress("127.0.0.1", 0));
    try {
      URI endpoint = gateway.start();
      HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(
          "http://127.0.0.1:" + endpoint.getPort()).endpoint("/mcp").build();
      McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build();
      try {
        client.initialize();
        assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).contains("echo", "delete_all");
        McpSchema.CallToolResult echo = client.callTool(new McpSchema.CallToolRequest("echo",
            Map.of("message", "over http")));
        assertThat(((McpSchema.TextContent) echo.content().get(0)).text()).isEqualTo("over http");
        McpSchema.CallToolResult denied = client.callTool(new McpSchema.CallToolRequest("delete_all", Map.of()));
        assertThat(denied.isError()).isTrue();
        assertThat(((McpSchema.TextContent) denied.content().get(0)).text()).contains("deny: delete_*");
      } finally {
        client.closeGracefully();
      }

      HttpClient http = HttpClient.newHttpClient();
      String ping = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}";
      assertThat(post(http, endpoint, ping, Map.of("Origin", "http://evil.example")).statusCode()).isEqualTo(403);
      assertThat(post(http, endpoint, ping, Map.of()).statusCode()).as("no session id").isEqualTo(400);
      assertThat(rawPost(endpoint.getPort(), "rebound.evil.example", ping)).startsWith("HTTP/1.1 421");
      assertThat(post(http, endpoint, ping, Map.of("Mcp-Session-Id", "guess")).statusCode()).isEqualTo(404);
      String huge = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":{\"x\":\"" + "y".repeat(70_000)
          + "\"}}";
      assertThat(post(http, endpoint, huge, Map.of()).statusCode()).isEqualTo(413);
    } finally {
      gateway.close();
    }
    long upstream = Long.parseLong(java.nio.file.Files.readString(pid).trim());
    assertThat(ProcessHandle.of(upstream).map(ProcessHandle::isAlive).orElse(false)).as("upstream reaped").isFalse();
  }

  /**
   * A web page served from another port of this machine (a development server, any local app a page can script) is
   * another origin: its {@code initialize}, a simple POST a browser sends without asking first, took the gateway's one
   * session, and the owner's client was refused. Only the gateway's own origin is let in.
   */
  @Test
  void aPageOfAnotherLoopbackOriginCannotTakeTheSession() throws Exception {
    HttpGateway gateway = loopbackGateway();
    try {
      URI endpoint = gateway.start();
      HttpClient http = HttpClient.newHttpClient();
      int otherPort = endpoint.getPort() == 65535 ? 65534 : endpoint.getPort() + 1;
      for (String page : java.util.List.of("http://localhost:" + otherPort, "http://127.0.0.1:" + otherPort,
          "http://localhost")) {
        assertThat(post(http, endpoint, INITIALIZE, Map.of("Origin", page)).statusCode()).as(page).isEqualTo(403);
      }
      HttpResponse<String> owner = post(http, endpoint, INITIALIZE,
          Map.of("Origin", "http://127.0.0.1:" + endpoint.getPort()));
      assertThat(owner.statusCode()).as("the gateway's own origin").isEqualTo(200);
      assertThat(owner.headers().firstValue("Mcp-Session-Id")).isPresent();
    } finally {
      gateway.close();
    }
  }

  /** A gateway on a loopback address, in front of the harness's upstream. */
  private HttpGateway loopbackGateway() throws IOException {
    return new HttpGateway(GatewayHarness.plain(dir),
        new UpstreamAddress(GatewayHarness.upstreamCommand(dir.resolve("upstream.pid")), null),
        new InetSocketAddress("127.0.0.1", 0));
  }

  @Test
  void aRefusedRequestIsNotToldTheSessionId() throws Exception {
    // Attack review 17: every answer carried the session's Mcp-Session-Id, refusals included, so any process that
    // reached the port posted once without it (or with a guess, or a second initialize), read the id off the 400 and
    // called the tools in the client's session.
    HttpGateway gateway = loopbackGateway();
    try {
      URI endpoint = gateway.start();
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> initialized = post(http, endpoint, INITIALIZE, Map.of());
      assertThat(initialized.statusCode()).isEqualTo(200);
      String session = initialized.headers().firstValue("Mcp-Session-Id").orElseThrow();

      String ping = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}";
      String again = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{}}";
      for (HttpResponse<String> refused : java.util.List.of(post(http, endpoint, ping, Map.of()),
          post(http, endpoint, ping, Map.of("Mcp-Session-Id", "guess")), post(http, endpoint, again, Map.of()),
          post(http, endpoint, ping, Map.of("Origin", "http://evil.example")))) {
        assertThat(refused.statusCode()).isIn(400, 403, 404);
        assertThat(refused.headers().firstValue("Mcp-Session-Id")).as(refused.toString()).isEmpty();
        assertThat(refused.body()).doesNotContain(session);
      }
      assertThat(rawPost(endpoint.getPort(), "rebound.evil.example", ping)).startsWith("HTTP/1.1 421")
          .doesNotContainIgnoringCase("Mcp-Session-Id").doesNotContain(session);
      HttpResponse<String> owner = post(http, endpoint, ping, Map.of("Mcp-Session-Id", session));
      assertThat(owner.statusCode()).isEqualTo(200);
      assertThat(owner.headers().firstValue("Mcp-Session-Id")).contains(session);
    } finally {
      gateway.close();
    }
  }

  @Test
  void clientsThatSendSlowlyOrNotAtAllDoNotHoldTheGateway() throws Exception {
    // The JDK's server reads a request on a thread of the gateway's pool (max-in-flight + 2 threads) with no time
    // limit: that many connections sending half a request stalled the gateway for good, and no client got an answer.
    Path pid = dir.resolve("upstream.pid");
    GatewaySettings settings = GatewayHarness.plain(dir);
    HttpGateway gateway = new HttpGateway(settings, new UpstreamAddress(GatewayHarness.upstreamCommand(pid), null),
        new InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(2));
    java.util.List<java.net.Socket> idle = new java.util.ArrayList<>();
    try {
      URI endpoint = gateway.start();
      for (int i = 0; i < settings.maxInFlight() + 4; i++) {
        java.net.Socket socket = new java.net.Socket("127.0.0.1", endpoint.getPort());
        idle.add(socket);
        // Half a head, or a whole head and half its body.
        String half = i % 2 == 0 ? "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"
            : "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"";
        socket.getOutputStream().write(half.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
      }
      Thread.sleep(300);
      long start = System.nanoTime();
      HttpResponse<String> initialized = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
          .sendAsync(HttpRequest.newBuilder(endpoint).header("Content-Type", "application/json")
              .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\","
                  + "\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                  + "\"capabilities\":{},\"clientInfo\":{\"name\":\"owner\",\"version\":\"1\"}}}")).build(),
              HttpResponse.BodyHandlers.ofString()).get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(initialized.statusCode()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(12));
      for (java.net.Socket socket : idle) {
        socket.setSoTimeout(10_000);
        try {
          assertThat(socket.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
        } catch (java.net.SocketException reset) {
          // Closed with unread bytes: a reset is as good as an end of stream.
        }
      }
    } finally {
      for (java.net.Socket socket : idle) {
        socket.close();
      }
      gateway.close();
    }
  }

  @Test
  void guardsAnUpstreamAtAUrl() throws Exception {
    SdkClientGatewayTest.requireEverything();
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    ProcessBuilder builder = new ProcessBuilder(SdkClientGatewayTest.EVERYTHING.toString(), "streamableHttp")
        .redirectErrorStream(true).redirectOutput(dir.resolve("everything.log").toFile());
    builder.environment().put("PORT", Integer.toString(port));
    Process everything = builder.start();
    try {
      awaitListening(port);
      GatewaySettings settings = GatewayHarness.settings(dir, Map.of(ToolPolicies.DEFAULT,
          AirlockPolicy.builder().deny("get-env").build()), Map.of(), InjectionAction.BLOCK, InjectionAction.STRIP,
          Set.of());
      try (GatewayHarness gateway = new GatewayHarness(dir, settings, URI.create("http://127.0.0.1:" + port
          + "/mcp"))) {
        assertThat(gateway.open().path("result").path("tools").toString()).contains("\"echo\"");
        assertThat(text(gateway.call("echo", "{\"message\":\"via url\"}"))).isEqualTo("Echo: via url");
        assertThat(isError(gateway.call("get-env", "{}"))).isTrue();
        assertThat(text(gateway.call("get-sum", "{\"a\":\"x\",\"b\":1}"))).contains("must be of type");
      }
    } finally {
      everything.descendants().forEach(ProcessHandle::destroyForcibly);
      everything.destroyForcibly();
      everything.waitFor();
    }
  }

  @Test
  void aHostileUpstreamAtAUrlEndsInErrorsNotHangs() throws Exception {
    com.sun.net.httpserver.HttpServer hostile = com.sun.net.httpserver.HttpServer.create(
        new InetSocketAddress("127.0.0.1", 0), 8);
    hostile.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    hostile.createContext("/mcp", exchange -> {
      com.fasterxml.jackson.databind.JsonNode message = GatewayHarness.JSON.readTree(exchange.getRequestBody());
      String method = message.path("method").asText();
      String tool = message.path("params").path("name").asText();
      String id = message.path("id").toString();
      if (method.equals("tools/call") && tool.equals("silent")) {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().flush();
        try {
          Thread.sleep(30_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        exchange.close();
        return;
      }
      String result = switch (method) {
        case "initialize" -> "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},"
            + "\"serverInfo\":{\"name\":\"hostile\",\"version\":\"1\"}}";
        case "tools/list" -> "{\"tools\":[{\"name\":\"silent\",\"inputSchema\":{}},{\"name\":\"huge\","
            + "\"inputSchema\":{}}]}";
        default -> "{\"content\":[{\"type\":\"text\",\"text\":\"" + "x".repeat(200_000) + "\"}]}";
      };
      if (message.get("id") == null) {
        exchange.sendResponseHeaders(202, -1);
        exchange.close();
        return;
      }
      byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    hostile.start();
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir), URI.create("http://127.0.0.1:"
        + hostile.getAddress().getPort() + "/mcp"))) {
      assertThat(gateway.open().toString()).contains("silent");
      long start = System.nanoTime();
      com.fasterxml.jackson.databind.JsonNode silent = gateway.call("silent", "{}");
      assertThat(silent.toString()).containsAnyOf("did not answer within 5 s", "broke off");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
      com.fasterxml.jackson.databind.JsonNode huge = gateway.call("huge", "{}");
      assertThat(huge.path("error").path("message").asText()).contains("longer than 65536 bytes");
      assertThat(text(gateway.call("silent", "{}")) + gateway.drain()).doesNotContain("xxxx");
    } finally {
      hostile.stop(0);
    }
  }

  private static void awaitListening(int port) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("server-everything did not listen on " + port);
  }

  /** A POST with any Host header (java.net.http refuses to set it). */
  private static String rawPost(int port, String host, String body) throws IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
    }
  }

  private static HttpResponse<String> post(HttpClient http, URI endpoint, String body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
