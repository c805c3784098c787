package dev.airlock.internal.mcp.gateway;

import static dev.airlock.internal.mcp.gateway.GatewayHarness.isError;
import static dev.airlock.internal.mcp.gateway.GatewayHarness.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airlock.AirlockPolicy;
import dev.airlock.mcp.AirlockMcpGateway.InjectionAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard on every tool call, pinning, and scanning, through a real gateway in front of a real child upstream. */
class GatewaySessionTest {
  @TempDir
  Path dir;

  private static List<String> names(JsonNode list) {
    List<String> names = new ArrayList<>();
    list.path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
    return names;
  }

  @Test
  void forwardsAValidCallAndRefusesArgumentsTheUpstreamSchemaForbids() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      assertThat(names(gateway.open())).contains("echo", "secret");
      assertThat(text(gateway.call("echo", "{\"message\":\"hi\"}"))).isEqualTo("hi");

      JsonNode missing = gateway.call("echo", "{}");
      assertThat(isError(missing)).isTrue();
      assertThat(text(missing)).contains("arguments.message is required");
      JsonNode extra = gateway.call("echo", "{\"message\":\"hi\",\"path\":\"/etc/passwd\"}");
      assertThat(text(extra)).contains("arguments.path is not a parameter of this tool");
      JsonNode tooLong = gateway.call("echo", "{\"message\":\"" + "x".repeat(101) + "\"}");
      assertThat(text(tooLong)).contains("longer than maxLength 100");
      JsonNode unknown = gateway.call("no_such_tool", "{}");
      assertThat(text(unknown)).contains("lists no approved tool named 'no_such_tool'");
    }
  }

  @Test
  void aToolNameTheClientMakesUpCostsTimeLinearInItsLengthAgainstThePolicyGlobs() throws Exception {
    // Attack review 17: the name of a tools/call is matched against the operator's globs before it is looked up, and
    // as a regular expression "*_*_*x" backtracked cubically through 60,000 underscores: one request held a call
    // thread for good, four the gateway.
    GatewaySettings settings = GatewayHarness.settings(dir, Map.of("files", AirlockPolicy.builder().build()),
        Map.of("*_*_*x", "files"), InjectionAction.BLOCK, InjectionAction.STRIP, Set.of());
    try (GatewayHarness gateway = new GatewayHarness(dir, settings)) {
      gateway.open();
      long start = System.nanoTime();
      JsonNode refused = gateway.call("_".repeat(60_000), "{}");
      assertThat(isError(refused)).isTrue();
      assertThat(text(refused)).contains("lists no approved tool named");
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(10));
      assertThat(text(gateway.call("echo", "{\"message\":\"hi\"}"))).isEqualTo("hi");
    }
  }

  @Test
  void appliesPerToolPoliciesRolesRateLimitsAndApproval() throws Exception {
    AirlockPolicy global = AirlockPolicy.builder().deny("delete_*").rateLimit("2/minute").build();
    AirlockPolicy admins = AirlockPolicy.builder().requireRoles("admin").build();
    GatewaySettings settings = GatewayHarness.settings(dir, Map.of(ToolPolicies.DEFAULT, global, "admins", admins),
        Map.of("secret", "admins"), InjectionAction.BLOCK, InjectionAction.STRIP, Set.of("reader"));
    try (GatewayHarness gateway = new GatewayHarness(dir, settings)) {
      gateway.open();
      JsonNode denied = gateway.call("delete_all", "{}");
      assertThat(isError(denied)).isTrue();
      assertThat(text(denied)).contains("\"blocked\"").contains("deny: delete_*");
      JsonNode noRole = gateway.call("secret", "{}");
      assertThat(text(noRole)).contains("MISSING_ROLE").contains("admin");
      assertThat(text(gateway.call("echo", "{\"message\":\"1\"}"))).isEqualTo("1");
      assertThat(text(gateway.call("echo", "{\"message\":\"2\"}"))).isEqualTo("2");
      assertThat(text(gateway.call("echo", "{\"message\":\"3\"}"))).contains("RATE_LIMITED");
      assertThat(gateway.session().auditCounts()).containsEntry("blocked", 3L).containsEntry("success", 2L);
    }
  }

  @Test
  void callsNeedingApprovalGoThroughOnlyWithAYesFromTheApprover() throws Exception {
    List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    GatewaySettings plain = GatewayHarness.plain(dir);
    GatewaySettings settings = new GatewaySettings(new ToolPolicies(Map.of(), Map.of(), List.of("ech?")),
        (tool, arguments) -> asked.add(tool + " " + arguments) && arguments.contains("yes"),
        plain.descriptionAction(), plain.outputAction(), null, plain.caller(), plain.maxMessageBytes(),
        plain.callTimeout(), plain.maxInFlight());
    try (GatewayHarness gateway = new GatewayHarness(dir, settings)) {
      gateway.open();
      assertThat(text(gateway.call("echo", "{\"message\":\"yes\"}"))).isEqualTo("yes");
      JsonNode refused = gateway.call("echo", "{\"message\":\"no\"}");
      assertThat(isError(refused)).isTrue();
      assertThat(text(refused)).contains("a person must approve each call of 'echo'");
      assertThat(text(gateway.call("secret", "{}"))).isNotEmpty();
      assertThat(asked).containsExactly("echo {\"message\":\"yes\"}", "echo {\"message\":\"no\"}");
    }
    GatewaySettings noApprover = new GatewaySettings(settings.policies(), null, plain.descriptionAction(),
        plain.outputAction(), null, plain.caller(), plain.maxMessageBytes(), plain.callTimeout(), plain.maxInFlight());
    try (GatewayHarness gateway = new GatewayHarness(dir, noApprover)) {
      gateway.open();
      assertThat(text(gateway.call("echo", "{\"message\":\"yes\"}"))).contains("no approver is configured");
    }
  }

  @Test
  void masksSecretsAndStripsInjectionFromOutputs() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      gateway.open();
      String secret = text(gateway.call("secret", "{}"));
      assertThat(secret).doesNotContain("ada@example.com").doesNotContain("AKIAIOSFODNN7EXAMPLE");
      String poison = text(gateway.call("poison", "{}"));
      assertThat(poison).startsWith("Result: 42.").doesNotContain("Ignore all previous")
          .doesNotContain("evil.example").contains("[removed]").contains("[image removed]");
    }
  }

  @Test
  void resourceContentsAreScannedAsOutputsAre() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      gateway.open();
      JsonNode read = gateway.request("resources/read", GatewayHarness.JSON.readTree("{\"uri\":\"file:///readme\"}"));
      JsonNode content = read.path("result").path("contents").path(0);
      assertThat(content.path("uri").asText()).isEqualTo("file:///readme");
      assertThat(content.path("text").asText()).startsWith("Read me.").doesNotContain("IMPORTANT")
          .doesNotContain("Ignore previous").doesNotContain("\u200b");
    }
  }

  @Test
  void blockActionWithholdsAPoisonedOutput() throws Exception {
    GatewaySettings settings = GatewayHarness.settings(dir, Map.of(), Map.of(), InjectionAction.BLOCK,
        InjectionAction.BLOCK, Set.of());
    try (GatewayHarness gateway = new GatewayHarness(dir, settings)) {
      gateway.open();
      JsonNode poison = gateway.call("poison", "{}");
      assertThat(isError(poison)).isTrue();
      assertThat(text(poison)).contains("withheld").contains("override-instructions").doesNotContain("evil");
    }
  }

  /** The pins file once a held change is in it: written within a second of the listing that held it. */
  private String pinsFileOnceWritten() throws Exception {
    long end = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
    String text = "";
    while (System.nanoTime() < end) {
      text = Files.exists(dir.resolve("pins.json")) ? Files.readString(dir.resolve("pins.json")) : "";
      if (text.contains("definition changed")) {
        break;
      }
      Thread.sleep(50);
    }
    return text;
  }

  @Test
  void aRugPullHidesTheToolUntilAPersonApprovesTheNewDefinition() throws Exception {
    GatewaySettings settings = GatewayHarness.settings(dir, Map.of(), Map.of(), InjectionAction.FLAG,
        InjectionAction.STRIP, Set.of());
    try (GatewayHarness gateway = new GatewayHarness(dir, settings)) {
      assertThat(names(gateway.open())).as("FLAG lets a flagged tool through").contains("echo", "notes");
      assertThat(text(gateway.call("echo", "{\"message\":\"first\"}"))).isEqualTo("first");
      // The upstream now changed echo's description and announced it.
      gateway.await(m -> "notifications/tools/list_changed".equals(m.path("method").asText()),
          java.time.Duration.ofSeconds(10));
      JsonNode relisted = gateway.request("tools/list", null);
      assertThat(names(relisted)).doesNotContain("echo").contains("secret");
      JsonNode held = gateway.call("echo", "{\"message\":\"second\"}");
      assertThat(isError(held)).isTrue();
      assertThat(text(held)).contains("held back").contains("definition changed");
      assertThat(gateway.session().heldTools()).singleElement()
          .satisfies(c -> assertThat(c.definition().path("description").asText())
              .isEqualTo(TestUpstream.POISONED_ECHO));
      assertThat(pinsFileOnceWritten()).contains("\"pending\"").contains("definition changed");

      assertThat(gateway.session().approve("echo")).isTrue();
      JsonNode approved = gateway.request("tools/list", null);
      assertThat(names(approved)).contains("echo");
      assertThat(text(gateway.call("echo", "{\"message\":\"third\"}"))).isEqualTo("third");
      assertThat(gateway.session().heldTools()).isEmpty();
    }
  }

  @Test
  void aPinsFileFromAnEarlierSessionHoldsBackAChangedToolAtOnce() throws Exception {
    GatewaySettings settings = GatewayHarness.settings(dir, Map.of(), Map.of(), InjectionAction.FLAG,
        InjectionAction.STRIP, Set.of());
    try (GatewayHarness gateway = new GatewayHarness(dir, settings)) {
      gateway.open();
    }
    String pins = Files.readString(dir.resolve("pins.json"));
    Files.writeString(dir.resolve("pins.json"), pins.replaceFirst("(\"echo\"\\s*:\\s*\\{\\s*\"sha256\"\\s*:\\s*\""
        + "sha256:)[0-9a-f]{4}", "$10000"));
    try (GatewayHarness gateway = new GatewayHarness(dir, settings)) {
      assertThat(names(gateway.open())).doesNotContain("echo").contains("secret");
      assertThat(pinsFileOnceWritten()).contains("definition changed");
      assertThat(ToolPins.approveInFile(dir.resolve("pins.json"), "echo")).contains("approved echo");
      assertThat(names(gateway.request("tools/list", null))).contains("echo");
    }
  }

  @Test
  void aPoisonedToolDefinitionIsHiddenUnderBlock() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      assertThat(names(gateway.open())).as("a poisoned parameter name").doesNotContain("notes").contains("echo");
      gateway.call("echo", "{\"message\":\"first\"}");
      gateway.await(m -> "notifications/tools/list_changed".equals(m.path("method").asText()),
          java.time.Duration.ofSeconds(10));
      assertThat(names(gateway.request("tools/list", null))).doesNotContain("echo");
      assertThat(gateway.session().approve("echo")).isTrue();
      JsonNode relisted = gateway.request("tools/list", null);
      assertThat(names(relisted)).doesNotContain("echo");
      assertThat(text(gateway.call("echo", "{\"message\":\"x\"}"))).contains("prompt-injection markers");
    }
  }
}
