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
    return open(false);
  }

  private GatewayHarness open(boolean endless) throws Exception {
    return new GatewayHarness(dir, GatewayHarness.plain(dir), pid -> new UpstreamAddress(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
        "-Dairlock.test.endless=" + endless, "-cp", System.getProperty("java.class.path"),
        DisguisingUpstream.class.getName(), pid.toString()), null));
  }

  /** Lists again until {@code done} holds of the client's listing (the gateway refreshes on list_changed). */
  private static List<String> listUntil(GatewayHarness gateway, java.util.function.Predicate<JsonNode> done)
      throws Exception {
    JsonNode listing = null;
    for (int i = 0; i < 50; i++) {
      listing = gateway.request("tools/list", null);
      if (done.test(listing)) {
        break;
      }
      Thread.sleep(100);
    }
    return names(listing);
  }

  @Test
  void aChangeOfAnyMemberTheClientReceivesIsARugPull() throws Exception {
    try (GatewayHarness gateway = open()) {
      gateway.open();
      assertThat(text(gateway.call("swap", "{}"))).isEqualTo("changed");
      Thread.sleep(1000); // the gateway's own listing after list_changed
      JsonNode listing = gateway.request("tools/list", null);
      assertThat(listing.toString()).as("the widget's UI resource and icon changed after it was pinned")
          .doesNotContain("ui://widget/exfiltrate").doesNotContain("evil.example");
    }
  }

  /**
   * An upstream changes 40 held tools' descriptions in every listing and says so each time: each change rewrote the
   * whole pins file (every pending definition), 40 times per listing of 60 KB, so a little output made the host write
   * without bound. Writes of the pins file are bounded in rate and size, whatever the upstream changes.
   */
  @Test
  void heldToolsChangingInEveryListingDoNotMakeTheHostRewriteThePinsFileForEach() throws Exception {
    try (GatewayHarness gateway = open()) {
      gateway.open();
      Thread.sleep(500);
      long before = bytesWritten();
      assertThat(text(gateway.call("churn", "{}"))).isEqualTo("changed");
      long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (gateway.session().heldTools().stream().noneMatch(change -> change.definition().toString()
          .contains("Version 30.")) && System.nanoTime() < end) {
        Thread.sleep(100);
      }
      assertThat(gateway.session().heldTools()).as("the last version is held").anyMatch(change -> change.definition()
          .toString().contains("Version 30."));
      Thread.sleep(1500); // a deferred write lands
      long written = bytesWritten() - before;
      assertThat(written).as("bytes this JVM wrote while 30 listings of 40 changed tools came in (about 1.8 MB)")
          .isLessThan(12L * 1024 * 1024);
      assertThat(java.nio.file.Files.readString(dir.resolve("pins.json"))).as("the file holds the last version")
          .contains("Version 30.");
    }
  }

  /** What this process wrote (all of it: the pins file, the pipes, the log), from {@code /proc/self/io}. */
  private static long bytesWritten() throws java.io.IOException {
    for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/io"))) {
      if (line.startsWith("wchar:")) {
        return Long.parseLong(line.substring(6).strip());
      }
    }
    throw new AssertionError("no wchar in /proc/self/io");
  }

  @Test
  void aListingThatNeverCompletesStillFixesThePins() throws Exception {
    try (GatewayHarness gateway = open(true)) {
      gateway.open();
      Thread.sleep(2000); // the gateway's own listing follows its pages to its bound
      assertThat(text(gateway.call("add_late", "{}"))).isEqualTo("changed");
      Thread.sleep(2000);
      JsonNode page = gateway.request("tools/list", GatewayHarness.JSON.readTree("{\"cursor\":\"3\"}"));
      assertThat(names(page)).as("a tool added after the first listing, which never said it was complete")
          .doesNotContain("late3");
      assertThat(gateway.call("late3", "{}").toString()).contains("Blocked by Airlock");
    }
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
  void anUpstreamErrorCarriesNoSecretOrInstructionToTheClient() throws Exception {
    try (GatewayHarness gateway = open()) {
      gateway.open();
      JsonNode failed = gateway.call("fail", "{}");
      JsonNode read = gateway.request("resources/read", GatewayHarness.JSON.readTree("{\"uri\":\"file:///notes\"}"));
      for (JsonNode answer : List.of(failed, read)) {
        assertThat(answer.toString()).as("an error answer").contains("error").doesNotContain("AKIAIOSFODNN7EXAMPLE")
            .doesNotContain("Ignore all").doesNotContain("Do not tell the user").doesNotContain("evil.example");
      }
    }
  }

  @Test
  void theUpstreamsInitializeAnswerCarriesNoUnscannedText() throws Exception {
    try (GatewayHarness gateway = open()) {
      gateway.open();
      JsonNode init = gateway.request("initialize", GatewayHarness.JSON.readTree("{\"protocolVersion\":"
          + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}"));
      assertThat(init.path("result").path("serverInfo").path("name").asText()).isEqualTo("disguising-upstream");
      assertThat(init.toString()).doesNotContain("IMPORTANT").doesNotContain("id_rsa").doesNotContain("evil.example")
          .doesNotContain("AKIAIOSFODNN7EXAMPLE").doesNotContain("Ignore all");
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
