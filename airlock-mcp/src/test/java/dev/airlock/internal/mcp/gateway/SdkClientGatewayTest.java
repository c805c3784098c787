package dev.airlock.internal.mcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The official MCP Java SDK client talks to the gateway command ({@code GatewayCommand gateway ...}, a child JVM, as
 * {@code java -jar airlock-mcp-<v>-cli.jar gateway} runs it), which guards a real upstream: the reference server
 * {@code @modelcontextprotocol/server-everything} from npm, and {@link TestUpstream}, which rug-pulls mid-session.
 */
class SdkClientGatewayTest {
  /** Installed by .ci/run (and by hand: see docs/mcp.md) with npm into this folder. */
  static final Path EVERYTHING = Path.of(System.getProperty("user.home"), ".cache", "airlock-test-npm",
      "node_modules", ".bin", "mcp-server-everything");

  @TempDir
  Path dir;

  private McpSyncClient client(Path config, List<McpSchema.Tool> changedTools) {
    ServerParameters gateway = ServerParameters.builder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString()).args("-Xmx128m", "-cp", System.getProperty("java.class.path"), GatewayCommand.class.getName(),
        "gateway", "--config", config.toString()).build();
    StdioClientTransport transport = new StdioClientTransport(gateway, McpJsonDefaults.getMapper());
    transport.setStdErrorHandler(line -> LoggerFactory.getLogger("gateway-stderr").info(line));
    McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60))
        .initializationTimeout(Duration.ofSeconds(60)).toolsChangeConsumer(changedTools::addAll).build();
    client.initialize();
    return client;
  }

  private static Set<String> names(McpSchema.ListToolsResult list) {
    return list.tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet());
  }

  private static String text(McpSchema.CallToolResult result) {
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  private static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> arguments) {
    return client.callTool(new McpSchema.CallToolRequest(tool, arguments));
  }

  @Test
  void guardsTheReferenceServerFromNpm() throws Exception {
    requireEverything();
    Set<Long> before = everythingProcesses();
    Path config = dir.resolve("gateway.properties");
    Files.writeString(config, String.join("\n",
        "upstream=" + EVERYTHING + " stdio",
        "policy=guarded",
        "airlock.policy.guarded.deny=get-env, toggle-*",
        "airlock.policy.guarded.max-result-chars=200",
        "pins-file=" + dir.resolve("pins.json"),
        "call-timeout-seconds=30"));
    McpSyncClient client = client(config, new CopyOnWriteArrayList<>());
    try {
      assertThat(names(client.listTools())).contains("echo", "get-sum", "get-env", "get-tiny-image");
      assertThat(text(call(client, "echo", Map.of("message", "hello")))).isEqualTo("Echo: hello");

      McpSchema.CallToolResult env = call(client, "get-env", Map.of());
      assertThat(env.isError()).isTrue();
      assertThat(text(env)).contains("deny: get-env").doesNotContain("PATH");

      McpSchema.CallToolResult badSum = call(client, "get-sum", Map.of("a", "two", "b", 3));
      assertThat(badSum.isError()).isTrue();
      assertThat(text(badSum)).contains("arguments.a must be of type \"number\"");
      assertThat(text(call(client, "get-sum", Map.of("a", 2, "b", 3)))).contains("5");

      McpSchema.CallToolResult image = call(client, "get-tiny-image", Map.of());
      assertThat(image.content()).anyMatch(c -> c instanceof McpSchema.ImageContent i && i.data().length() > 100);
      assertThat(text(call(client, "echo", Map.of("message", "mail ada@example.com")))).doesNotContain("ada@");
      assertThat(Files.readString(dir.resolve("pins.json"))).contains("\"get-sum\"").contains("sha256:");
    } finally {
      client.closeGracefully();
    }
    assertNoNewEverythingProcess(before);
  }

  @Test
  void aRugPullMidSessionIsHiddenUntilApprovedWithTheCommand() throws Exception {
    Path pins = dir.resolve("pins.json");
    Path config = dir.resolve("gateway.properties");
    Files.writeString(config, String.join("\n",
        "upstream=" + GatewayHarness.upstreamCommand(dir.resolve("upstream.pid")).stream()
            .map(word -> "'" + word + "'").collect(Collectors.joining(" ")),
        "description-action=flag",
        "pins-file=" + pins));
    List<McpSchema.Tool> changed = new CopyOnWriteArrayList<>();
    McpSyncClient client = client(config, changed);
    long upstream;
    try {
      assertThat(names(client.listTools())).contains("echo");
      assertThat(text(call(client, "echo", Map.of("message", "first")))).isEqualTo("first");
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (client.listTools().tools().stream().anyMatch(t -> t.name().equals("echo"))) {
        assertThat(System.nanoTime()).as("the gateway hides the changed echo").isLessThan(deadline);
        Thread.sleep(200);
      }
      McpSchema.CallToolResult held = call(client, "echo", Map.of("message", "second"));
      assertThat(held.isError()).isTrue();
      assertThat(text(held)).contains("held back").contains("definition changed");

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int exit = GatewayCommand.run(new String[] {"approve", "--pins-file", pins.toString(), "--tool", "echo"},
          new PrintStream(out, true, StandardCharsets.UTF_8));
      assertThat(exit).as(out.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("approved echo").contains("<IMPORTANT>");

      McpSchema.ListToolsResult approved = client.listTools();
      assertThat(approved.tools()).filteredOn(t -> t.name().equals("echo")).singleElement()
          .satisfies(t -> assertThat(t.description()).isEqualTo(TestUpstream.POISONED_ECHO));
      assertThat(text(call(client, "echo", Map.of("message", "third")))).isEqualTo("third");
      upstream = Long.parseLong(Files.readString(dir.resolve("upstream.pid")).trim());
    } finally {
      client.closeGracefully();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (ProcessHandle.of(upstream).map(ProcessHandle::isAlive).orElse(false)) {
      assertThat(System.nanoTime()).as("upstream " + upstream + " reaped after the client left").isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @Test
  void aBadConfigKeyFailsNamingTheKeyAndTheFix() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = GatewayCommand.run(new String[] {"gateway", "--upstream", "true", "--policy-name", "x"},
        new PrintStream(out, true, StandardCharsets.UTF_8));
    assertThat(exit).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("policy-name='x': unknown key")
        .contains("pins-file");
    out.reset();
    exit = GatewayCommand.run(new String[] {"gateway", "--upstream", "true", "--policy", "strict"},
        new PrintStream(out, true, StandardCharsets.UTF_8));
    assertThat(exit).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("policy='strict' names a policy without keys")
        .contains("airlock.policy.strict.allow=");
    out.reset();
    exit = GatewayCommand.run(new String[] {"gateway", "--upstream", "true", "--output-action", "warn"},
        new PrintStream(out, true, StandardCharsets.UTF_8));
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("output-action='warn': must be one of flag, strip,"
        + " block");
  }

  /** Fails under CI=true without the npm package, else skips with the reason and the command that installs it. */
  static void requireEverything() {
    if (!Files.isExecutable(EVERYTHING)) {
      String reason = "the gateway's real-upstream test needs @modelcontextprotocol/server-everything: npm install"
          + " --prefix ~/.cache/airlock-test-npm @modelcontextprotocol/server-everything@2026.8.31 (.ci/run does)";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(reason);
      }
      LoggerFactory.getLogger(SdkClientGatewayTest.class).warn("SKIPPED: {}", reason);
      abort(reason);
    }
  }

  private static Set<Long> everythingProcesses() {
    return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(
        "server-everything")).map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  private static void assertNoNewEverythingProcess(Set<Long> before) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      List<Long> added = new ArrayList<>(everythingProcesses());
      added.removeAll(before);
      if (added.isEmpty()) {
        return;
      }
      assertThat(System.nanoTime()).as("upstream processes " + added + " reaped").isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
