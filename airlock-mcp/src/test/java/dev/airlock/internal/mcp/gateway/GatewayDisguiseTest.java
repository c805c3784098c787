package dev.airlock.internal.mcp.gateway;

import static dev.airlock.internal.mcp.gateway.GatewayHarness.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile upstream ({@link DisguisingUpstream}) disguises its injections from the gateway's scanner, in the ways a
 * model still reads them. Each must be found where the model would read it: a tool that carries one is hidden
 * ({@code BLOCK} descriptions), an output that carries one reaches the client without it ({@code STRIP} outputs).
 */
class GatewayDisguiseTest {
  private final InjectionScanner scanner = new InjectionScanner();

  @TempDir
  Path dir;

  private GatewayHarness open() throws Exception {
    return new GatewayHarness(dir, GatewayHarness.plain(dir), pid -> new UpstreamAddress(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), DisguisingUpstream.class.getName(), pid.toString()), null));
  }

  private static List<String> names(JsonNode listing) {
    return StreamSupport.stream(listing.path("result").path("tools").spliterator(), false)
        .map(tool -> tool.path("name").asText()).toList();
  }

  @Test
  void aToolWhoseNameOrDisguisedDescriptionCarriesAMarkerIsHidden() throws Exception {
    try (GatewayHarness gateway = open()) {
      List<String> shown = names(gateway.open());
      SoftAssertions softly = new SoftAssertions();
      softly.assertThat(shown).as("the plain tools are shown").contains("echo", "split", "link", "notify");
      softly.assertThat(shown).as("a marker in a tool's name (names are never rewritten, so were never scanned)")
          .doesNotContain(DisguisingUpstream.NAMED);
      for (String[] disguised : DisguisingUpstream.DISGUISED) {
        softly.assertThat(shown).as("a marker disguised in %s: %s", disguised[0], disguised[1])
            .doesNotContain(disguised[0]);
      }
      softly.assertThat(gateway.call(DisguisingUpstream.NAMED, "{}").toString()).contains("Blocked by Airlock");
      softly.assertAll();
    }
  }

  @Test
  void anInstructionSplitAcrossTwoContentItemsIsFoundInWhatTheModelReads() throws Exception {
    try (GatewayHarness gateway = open()) {
      gateway.open();
      JsonNode answer = gateway.call("split", "{}");
      String read = StreamSupport.stream(answer.path("result").path("content").spliterator(), false)
          .map(item -> item.path("text").asText()).collect(Collectors.joining());
      assertThat(read).as("what a client shows the model, the items joined").contains("42");
      assertThat(scanner.scan(read)).as(read).isEmpty();
    }
  }

  @Test
  void aMarkerInAResourceNameOrALinkNameDoesNotReachTheModel() throws Exception {
    try (GatewayHarness gateway = open()) {
      gateway.open();
      JsonNode listed = gateway.request("resources/list", null);
      assertThat(listed.toString()).as("resources/list").doesNotContain("Ignore all previous");
      JsonNode linked = gateway.call("link", "{}");
      assertThat(linked.toString()).as("a resource_link result").doesNotContain("Ignore all previous");
    }
  }

  @Test
  void aNotificationCarriesOnlyTheMembersItsMethodDefines() throws Exception {
    try (GatewayHarness gateway = open()) {
      gateway.open();
      gateway.drain();
      List<JsonNode> notifications = new ArrayList<>();
      gateway.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":\"n\",\"method\":\"tools/call\",\"params\":{\"name\":\"notify\","
          + "\"arguments\":{}}}");
      JsonNode answer = gateway.await(m -> {
        if (m.has("method")) {
          notifications.add(m);
        }
        return m.path("id").asText().equals("n");
      }, Duration.ofSeconds(30));
      assertThat(text(answer)).isEqualTo("notified");
      Thread.sleep(200);
      notifications.addAll(gateway.drain());
      assertThat(notifications).extracting(m -> m.path("method").asText())
          .contains("notifications/resources/updated");
      assertThat(notifications.toString()).doesNotContain("AKIAIOSFODNN7EXAMPLE").doesNotContain("Ignore all");
    }
  }
}
