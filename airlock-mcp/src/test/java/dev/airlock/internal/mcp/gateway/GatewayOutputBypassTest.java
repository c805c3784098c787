package dev.airlock.internal.mcp.gateway;

import static dev.airlock.internal.mcp.gateway.GatewayHarness.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an upstream returns reaches the model through more than a tool result's text: its structured content (any
 * JSON the upstream likes, member names included) and the notifications it sends while a call runs (log messages,
 * progress messages). Each is masked and scanned as a text result is; a member name such as {@code data} or
 * {@code name} exempts nothing inside structured content or notifications, where the upstream chooses the names.
 */
class GatewayOutputBypassTest {
  @TempDir
  Path dir;

  @Test
  void structuredContentIsMaskedAndScannedWhateverItsMembersAreNamed() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      gateway.open();
      JsonNode answer = gateway.call("structured", "{}");
      assertThat(text(answer)).isEqualTo("ok");
      String structured = answer.path("result").path("structuredContent").toString();
      assertThat(structured).doesNotContain("ada@example.com").doesNotContain("AKIAIOSFODNN7EXAMPLE")
          .doesNotContain("Ignore all previous").doesNotContain("do not tell the user");
    }
  }

  @Test
  void structuredContentUnderASecretsNameIsMaskedWhole() throws Exception {
    // Attack review 17: each string was masked alone, so a secret with no shape of its own under a member named
    // AWS_SECRET_ACCESS_KEY passed, though the same pair in a text result was masked.
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      gateway.open();
      gateway.drain();
      List<JsonNode> notifications = new ArrayList<>();
      gateway.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":\"env\",\"method\":\"tools/call\",\"params\":{\"name\":"
          + "\"environment\",\"arguments\":{},\"_meta\":{\"progressToken\":\"tok-123\"}}}");
      JsonNode answer = gateway.await(m -> {
        if (m.has("method")) {
          notifications.add(m);
        }
        return m.path("id").asText().equals("env");
      }, Duration.ofSeconds(30));
      JsonNode structured = answer.path("result").path("structuredContent");
      assertThat(structured.path("HOME").asText()).isEqualTo("/home/ann");
      assertThat(structured.toString()).doesNotContain("wJalr").doesNotContain("hunter2x");
      // A protocol member whose name holds such a word is not prose: the client matches progress by it.
      assertThat(notifications.toString()).contains("\"progressToken\":\"tok-123\"");
    }
  }

  @Test
  void aResourceReadIsMaskedAsAToolResultIs() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      gateway.open();
      JsonNode read = gateway.request("resources/read", GatewayHarness.JSON.readTree("{\"uri\":\"file:///secret\"}"));
      String text = read.path("result").path("contents").path(0).path("text").asText();
      assertThat(text).startsWith("aws key").doesNotContain("AKIAIOSFODNN7EXAMPLE").doesNotContain("ada@example.com");
    }
  }

  @Test
  void completionValuesAreMaskedAndScanned() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      gateway.open();
      JsonNode completed = gateway.request("completion/complete", GatewayHarness.JSON.readTree("{\"ref\":{\"type\":"
          + "\"ref/prompt\",\"name\":\"p\"},\"argument\":{\"name\":\"a\",\"value\":\"\"}}"));
      String values = completed.path("result").path("completion").path("values").toString();
      assertThat(values).startsWith("[\"key").doesNotContain("AKIAIOSFODNN7EXAMPLE").doesNotContain("Ignore all");
    }
  }

  @Test
  void upstreamLogAndProgressMessagesAreMaskedAndScanned() throws Exception {
    try (GatewayHarness gateway = new GatewayHarness(dir, GatewayHarness.plain(dir))) {
      gateway.open();
      gateway.drain();
      List<JsonNode> notifications = new ArrayList<>();
      gateway.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":\"logs\",\"method\":\"tools/call\",\"params\":{\"name\":\"logs\","
          + "\"arguments\":{},\"_meta\":{\"progressToken\":1}}}");
      JsonNode answer = gateway.await(m -> {
        if (m.has("method")) {
          notifications.add(m);
        }
        return m.path("id").asText().equals("logs");
      }, Duration.ofSeconds(30));
      assertThat(text(answer)).isEqualTo("logged");
      assertThat(notifications).extracting(m -> m.path("method").asText())
          .contains("notifications/message", "notifications/progress");
      assertThat(notifications.toString()).doesNotContain("AKIAIOSFODNN7EXAMPLE").doesNotContain("ada@example.com")
          .doesNotContain("Ignore all previous");
    }
  }
}
