package dev.airlock.internal.mcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.AirlockContext;
import dev.airlock.AirlockPolicy;
import dev.airlock.mcp.AirlockMcpGateway.InjectionAction;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gateway in this JVM in front of {@link TestUpstream} (a child JVM), driven by a raw JSON-RPC client over pipes:
 * the tests can send what no SDK would. Closing it ends the session and checks that the upstream is gone.
 */
final class GatewayHarness implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private final Path pidFile;
  private final StdioGateway gateway;
  private final OutputStream toGateway;
  private final BlockingQueue<JsonNode> fromGateway = new LinkedBlockingQueue<>();
  private final Thread serving;
  private final AtomicInteger ids = new AtomicInteger(100);

  GatewayHarness(Path dir, GatewaySettings settings) throws IOException {
    this(dir, settings, pid -> new UpstreamAddress(upstreamCommand(pid), null));
  }

  GatewayHarness(Path dir, GatewaySettings settings, java.net.URI url) throws IOException {
    this(dir, settings, pid -> new UpstreamAddress(null, url));
  }

  /** In front of the upstream {@code upstream} makes, given the file a {@link TestUpstream} writes its pid to. */
  GatewayHarness(Path dir, GatewaySettings settings, java.util.function.Function<Path, UpstreamAddress> upstream)
      throws IOException {
    pidFile = dir.resolve("upstream-" + System.nanoTime() + ".pid");
    PipedInputStream gatewayIn = new PipedInputStream(1 << 20);
    toGateway = new PipedOutputStream(gatewayIn);
    PipedOutputStream gatewayOut = new PipedOutputStream();
    PipedInputStream clientIn = new PipedInputStream(gatewayOut, 1 << 20);
    gateway = new StdioGateway(settings, upstream.apply(pidFile), gatewayIn, gatewayOut);
    serving = new Thread(() -> {
      try {
        gateway.run();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "gateway-under-test");
    serving.start();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(clientIn, StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          fromGateway.add(JSON.readTree(line));
        }
      } catch (IOException e) {
        // the gateway side closed
      }
    }, "gateway-test-client");
    reader.setDaemon(true);
    reader.start();
  }

  static List<String> upstreamCommand(Path pidFile) {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), TestUpstream.class.getName(),
        pidFile.toString());
  }

  static GatewaySettings settings(Path dir, Map<String, AirlockPolicy> policies, Map<String, String> toolPolicies,
      InjectionAction descriptions, InjectionAction outputs, Set<String> roles) {
    return new GatewaySettings(new ToolPolicies(policies, toolPolicies, List.of("approve_*")), null, descriptions,
        outputs, dir.resolve("pins.json"), new AirlockContext("test-agent", "s1", roles, Map.of()), 64 * 1024,
        Duration.ofSeconds(5), 4);
  }

  static GatewaySettings plain(Path dir) {
    return settings(dir, Map.of(), Map.of(), InjectionAction.BLOCK, InjectionAction.STRIP, Set.of());
  }

  GatewaySession session() {
    return gateway.session();
  }

  void sendRaw(String line) throws IOException {
    toGateway.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    toGateway.flush();
  }

  /** Sends a request and returns its answer. */
  JsonNode request(String method, JsonNode params) throws Exception {
    int id = ids.incrementAndGet();
    ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
    if (params != null) {
      message.set("params", params);
    }
    sendRaw(JSON.writeValueAsString(message));
    return await(m -> m.path("id").asInt() == id && !m.has("method"), Duration.ofSeconds(30));
  }

  /** Initialize, initialized, and the tool list the client sees. */
  JsonNode open() throws Exception {
    JsonNode init = request("initialize", JSON.readTree("{\"protocolVersion\":\"2025-06-18\",\"capabilities\":"
        + "{\"sampling\":{},\"roots\":{}},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}"));
    assertThat(init.has("result")).as(init.toString()).isTrue();
    sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    return request("tools/list", null);
  }

  JsonNode call(String tool, String argumentsJson) throws Exception {
    ObjectNode params = JSON.createObjectNode().put("name", tool);
    params.set("arguments", JSON.readTree(argumentsJson));
    return request("tools/call", params);
  }

  JsonNode await(java.util.function.Predicate<JsonNode> wanted, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode next = fromGateway.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (next == null) {
        throw new AssertionError("no wanted message from the gateway within " + timeout);
      }
      if (wanted.test(next)) {
        return next;
      }
    }
  }

  /** Everything received so far, without waiting. */
  List<JsonNode> drain() {
    List<JsonNode> out = new java.util.ArrayList<>();
    fromGateway.drainTo(out);
    return out;
  }

  static String text(JsonNode answer) {
    return answer.path("result").path("content").path(0).path("text").asText();
  }

  static boolean isError(JsonNode answer) {
    return answer.path("result").path("isError").asBoolean(false);
  }

  long upstreamPid() throws IOException {
    return Long.parseLong(Files.readString(pidFile).trim());
  }

  /** Waits for the session's end (up to 20 s) and asserts the upstream process is gone. */
  void assertEndedAndReaped() throws Exception {
    serving.join(20_000);
    assertThat(serving.isAlive()).as("the gateway session ended").isFalse();
    assertUpstreamGone();
  }

  void assertUpstreamGone() throws IOException {
    Optional<ProcessHandle> upstream = ProcessHandle.of(upstreamPid());
    assertThat(upstream.map(ProcessHandle::isAlive).orElse(false)).as("upstream " + upstreamPid() + " reaped")
        .isFalse();
  }

  @Override
  public void close() throws Exception {
    gateway.session().close();
    toGateway.close();
    if (Files.exists(pidFile)) {
      assertEndedAndReaped();
    }
  }
}
