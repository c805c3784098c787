package dev.airlock.samples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Issue 18: a call awaiting approval is listed at GET /approvals and decided at POST /approvals/{id}, over HTTP. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(180)
class ApprovalEndpointsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @LocalServerPort
  private int port;

  @Test
  void aPersonApprovesOverHttpAndTheCallRunsOnceInTheSandbox() throws Exception {
    HttpResponse<String> asked = send("bob@example.com", "quarterly report");
    assertThat(asked.statusCode()).isEqualTo(202);
    JsonNode awaiting = JSON.readTree(asked.body());
    assertThat(awaiting.get("status").asText()).isEqualTo("awaiting approval");
    String id = awaiting.get("callId").asText();

    HttpResponse<String> listed = http.send(HttpRequest.newBuilder(uri("/approvals")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(listed.statusCode()).isEqualTo(200);
    JsonNode pending = findCall(JSON.readTree(listed.body()), id);
    assertThat(pending.get("tool").asText()).isEqualTo("sendMail");
    assertThat(pending.get("arguments").toString()).as("masked by the policy for the approver")
        .contains("[REDACTED]").doesNotContain("bob@example.com").contains("quarterly report");

    HttpResponse<String> approved = decide(id, "{\"approver\":\"alice\",\"approve\":true}");
    assertThat(approved.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(approved.body()).get("result").asText())
        .startsWith("queued mail to ").endsWith("quarterly report (from the sandbox)");

    HttpResponse<String> again = decide(id, "{\"approver\":\"alice\",\"approve\":true}");
    assertThat(again.statusCode()).as("a call is decided once").isEqualTo(404);
  }

  @Test
  void aDenialReachesTheCallerWithItsReasonAndAGuessedIdIsNotFound() throws Exception {
    String id = JSON.readTree(send("carol", "spam").body()).get("callId").asText();

    HttpResponse<String> denied = decide(id, "{\"approver\":\"alice\",\"approve\":false,\"reason\":\"no spam\"}");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.body()).contains("\"reason\":\"NOT_APPROVED\"").contains("no spam");

    assertThat(decide("AAAAAAAAAAAAAAAAAAAAAA", "{\"approver\":\"mallory\",\"approve\":true}").statusCode())
        .isEqualTo(404);
    assertThat(decide(id, "{\"approver\":\"mallory\",\"approve\":true}").statusCode()).isEqualTo(404);
  }

  private static JsonNode findCall(JsonNode list, String id) {
    for (JsonNode call : list) {
      if (call.get("callId").asText().equals(id)) {
        return call;
      }
    }
    throw new AssertionError("call " + id + " is not listed in " + list);
  }

  private HttpResponse<String> send(String to, String subject) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/tools/send-mail?to=" + URLEncoder.encode(to, StandardCharsets.UTF_8)
        + "&subject=" + URLEncoder.encode(subject, StandardCharsets.UTF_8))).POST(HttpRequest.BodyPublishers.noBody())
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> decide(String id, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/approvals/" + id)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(90)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }
}
