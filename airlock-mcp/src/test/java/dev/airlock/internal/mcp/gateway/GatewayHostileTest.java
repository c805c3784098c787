package dev.airlock.internal.mcp.gateway;

import static dev.airlock.internal.mcp.gateway.GatewayHarness.isError;
import static dev.airlock.internal.mcp.gateway.GatewayHarness.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile JSON-RPC from both sides ends in an error within the bounds, never a hang or an unbounded buffer, and the
 * upstream process is reaped whatever happens. The gateway's bounds here: 64 KiB lines, 5 s per request, 4 waiting.
 */
class GatewayHostileTest {
  private static final Duration END = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private GatewayHarness open() throws Exception {
    GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir));
    gateway.open();
    return gateway;
  }

  private static boolean answers(JsonNode message, String text) {
    return message.toString().contains(text);
  }

  @Test
  void anUpstreamLinePastTheBoundEndsTheSessionAndKillsTheUpstream() throws Exception {
    try (GatewayHarness gateway = open()) {
      JsonNode answer = gateway.call("huge", "{}");
      assertThat(answer.path("error").path("message").asText()).contains("longer than 65536 bytes");
      gateway.assertEndedAndReaped();
    }
  }

  @Test
  void anUpstreamThatWritesForeverWithoutANewlineIsCutOff() throws Exception {
    try (GatewayHarness gateway = open()) {
      JsonNode answer = gateway.call("endless", "{}");
      assertThat(answer.path("error").path("message").asText()).contains("longer than 65536 bytes");
      gateway.assertEndedAndReaped();
    }
  }

  @Test
  void theUpstreamsChildrenAreReapedToo() throws Exception {
    // sh starts the upstream JVM as its child (the "; true" keeps sh from exec'ing it), as npx starts node; the
    // JVM lingers after its input closes, so only killing the tree ends it.
    GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir), pid -> new UpstreamAddress(List.of(
        "sh", "-c", GatewayHarness.upstreamCommand(pid).stream().map(w -> "'" + w + "'")
            .collect(java.util.stream.Collectors.joining(" ")).replaceFirst("' ", "' -Dairlock.test.linger=true ")
            + "; true"), null));
    try (gateway) {
      gateway.open();
      assertThat(text(gateway.call("echo", "{\"message\":\"x\"}"))).isEqualTo("x");
      assertThat(ProcessHandle.of(gateway.upstreamPid()).orElseThrow().parent().orElseThrow().info().command()
          .orElse("")).endsWith("sh");
    }
    gateway.assertUpstreamGone();
  }

  @Test
  void deeplyNestedUpstreamJsonIsDroppedAndTheCallTimesOut() throws Exception {
    try (GatewayHarness gateway = open()) {
      long start = System.nanoTime();
      JsonNode answer = gateway.call("deep", "{}");
      assertThat(isError(answer)).isTrue();
      assertThat(text(answer)).contains("did not answer within 5 s");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(END);
      assertThat(text(gateway.call("echo", "{\"message\":\"still here\"}"))).isEqualTo("still here");
    }
  }

  @Test
  void anUpstreamThatDiesFailsThePendingCallAndEndsTheSession() throws Exception {
    try (GatewayHarness gateway = open()) {
      JsonNode answer = gateway.call("die", "{}");
      assertThat(answer.path("error").path("message").asText()).contains("upstream MCP server ended");
      gateway.assertEndedAndReaped();
    }
  }

  /**
   * A call that reached the upstream is audited whatever became of it: one the upstream never answered within the
   * call timeout (a model can pick arguments that make a tool run long), or one whose upstream died, may have run
   * there, and left no audit record at all (attack review 26).
   */
  @Test
  void aCallTheUpstreamNeverAnsweredOrDiedOnIsAudited() throws Exception {
    try (GatewayHarness gateway = open()) {
      assertThat(text(gateway.call("silent", "{}"))).contains("did not answer within 5 s");
      assertThat(gateway.session().auditCounts()).containsEntry("error", 1L);
      assertThat(gateway.call("die", "{}").path("error").path("message").asText())
          .contains("upstream MCP server ended");
      assertThat(gateway.session().auditCounts()).containsEntry("error", 2L);
    }
  }

  @Test
  void answersUnderIdsTheGatewayDidNotIssueAreDroppedAndASecondAnswerToo() throws Exception {
    try (GatewayHarness gateway = open()) {
      JsonNode answer = gateway.call("wrongid", "{}");
      assertThat(text(answer)).isEqualTo("real");
      Thread.sleep(500);
      assertThat(gateway.drain()).noneMatch(m -> answers(m, "again"));
      assertThat(text(gateway.call("echo", "{\"message\":\"ok\"}"))).isEqualTo("ok");
    }
  }

  @Test
  void aCancellationWhileTheGatewaysOwnListingIsPendingLeavesTheSessionUp() throws Exception {
    // The gateway's own tools/list (sent on notifications/initialized) waits under no client id: a client
    // cancellation arriving meanwhile, with or without a requestId, must neither end the session nor cancel it.
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      gateway.request("initialize", GatewayHarness.JSON.readTree("{\"protocolVersion\":\"2025-06-18\","
          + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}"));
      gateway.sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
          + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7}}\n"
          + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{}}");
      Thread.sleep(500);
      assertThat(gateway.session().hasEnded()).isFalse();
      assertThat(text(gateway.call("echo", "{\"message\":\"still here\"}"))).isEqualTo("still here");
    }
  }

  @Test
  void anUpstreamListingTensOfThousandsOfToolsGetsNoMorePinnedThanTheGatewayTracks() throws Exception {
    // 30,000 tools fit in one 4 MiB line (the default bound); trust on first use must not pin (hold in memory, write to the file) them
    // all: the upstream could send 100 pages of 4 MiB, millions of names.
    GatewaySettings plain = GatewayHarness.plain(dir);
    GatewaySettings settings = new GatewaySettings(plain.policies(), null, plain.descriptionAction(),
        plain.outputAction(), plain.pinsFile(), plain.caller(), 4 * 1024 * 1024, plain.callTimeout(), plain.maxInFlight());
    GatewayHarness gateway = new GatewayHarness(dir, settings, pid -> new UpstreamAddress(withProperty(
        GatewayHarness.upstreamCommand(pid), "-Dairlock.test.extraTools=30000"), null));
    try (gateway) {
      JsonNode listed = gateway.open();
      assertThat(listed.path("result").path("tools").size()).isLessThanOrEqualTo(4096);
      assertThat(text(gateway.call("echo", "{\"message\":\"x\"}"))).isEqualTo("x");
      JsonNode pins = GatewayHarness.JSON.readTree(dir.resolve("pins.json").toFile());
      assertThat(pins.path("tools").size()).isLessThanOrEqualTo(4096);
    }
  }

  @Test
  void newToolsWithHugeDefinitionsDoNotGrowThePinsFileWithThem() throws Exception {
    // Each new tool is recorded as pending (up to 256) and the file rewritten: with 4 MiB definitions that was a
    // gigabyte held in memory and rewritten for each new name.
    GatewaySettings plain = GatewayHarness.plain(dir);
    GatewaySettings settings = new GatewaySettings(plain.policies(), null, plain.descriptionAction(),
        plain.outputAction(), plain.pinsFile(), plain.caller(), 4 * 1024 * 1024, plain.callTimeout(),
        plain.maxInFlight());
    GatewayHarness gateway = new GatewayHarness(dir, settings, pid -> new UpstreamAddress(withProperty(
        GatewayHarness.upstreamCommand(pid), "-Dairlock.test.laterTools=10"), null));
    try (gateway) {
      gateway.open();
      JsonNode listed = gateway.request("tools/list", null);
      assertThat(listed.path("result").path("tools").toString()).doesNotContain("later0");
      assertThat(gateway.session().heldTools()).extracting(ToolPins.Change::tool).hasSize(10).allMatch(n -> n.startsWith("later"));
      assertThat(java.nio.file.Files.size(dir.resolve("pins.json"))).isLessThan(1024 * 1024);
    }
  }

  private static List<String> withProperty(List<String> command, String property) {
    List<String> out = new java.util.ArrayList<>(command);
    out.add(1, property);
    return out;
  }

  @Test
  void upstreamRequestsToTheClientAreRefusedNotForwarded() throws Exception {
    try (GatewayHarness gateway = open()) {
      assertThat(text(gateway.call("sampling", "{}"))).isEqualTo("asked for sampling");
      Thread.sleep(300);
      assertThat(gateway.drain()).noneMatch(m -> answers(m, "sampling/createMessage"));
    }
  }

  @Test
  void aSilentUpstreamCostsOneTimeoutAndTheWaitingRequestsAreBounded() throws Exception {
    try (GatewayHarness gateway = open()) {
      for (int i = 0; i < 6; i++) {
        gateway.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":\"s" + i + "\",\"method\":\"tools/call\",\"params\":"
            + "{\"name\":\"silent\",\"arguments\":{}}}");
      }
      JsonNode refused = gateway.await(m -> answers(m, "retry later"), END);
      assertThat(refused.path("error").path("message").asText()).contains("waiting");
      JsonNode timedOut = gateway.await(m -> answers(m, "did not answer within 5 s"), END);
      assertThat(isError(timedOut)).isTrue();
    }
  }

  @Test
  void malformedClientMessagesAreAnsweredWithErrorsAndTheSessionGoesOn() throws Exception {
    try (GatewayHarness gateway = open()) {
      for (String bad : List.of("not json", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", "42",
          "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":" + "[".repeat(5000) + "]".repeat(5000)
              + "}")) {
        gateway.sendRaw(bad);
        JsonNode error = gateway.await(m -> m.has("error"), END);
        assertThat(error.path("error").path("code").asInt()).isEqualTo(JsonRpc.PARSE_ERROR);
      }
      JsonNode tasks = gateway.request("tasks/list", null);
      assertThat(tasks.path("error").path("message").asText()).contains("does not forward 'tasks/list'");
      gateway.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
      assertThat(text(gateway.call("echo", "{\"message\":\"alive\"}"))).isEqualTo("alive");
    }
  }

  @Test
  void aClientLinePastTheBoundEndsTheSessionAndReapsTheUpstream() throws Exception {
    try (GatewayHarness gateway = open()) {
      gateway.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"" + "y".repeat(70_000)
          + "\"}}");
      JsonNode error = gateway.await(m -> m.has("error"), END);
      assertThat(error.path("error").path("message").asText()).contains("the session ends");
      gateway.assertEndedAndReaped();
    }
  }

  @Test
  void theClientsSamplingAndRootsCapabilitiesNeverReachTheUpstream() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      JsonNode init = gateway.request("initialize", GatewayHarness.JSON.readTree("{\"protocolVersion\":"
          + "\"2025-06-18\",\"capabilities\":{\"sampling\":{},\"elicitation\":{},\"roots\":{},\"experimental\":{}},"
          + "\"clientInfo\":{\"name\":\"x\",\"version\":\"1\"}}"));
      String seen = init.path("result").path("instructions").asText();
      assertThat(seen).startsWith("client capabilities").contains("experimental").doesNotContain("sampling")
          .doesNotContain("elicitation").doesNotContain("roots");
    }
  }
}
