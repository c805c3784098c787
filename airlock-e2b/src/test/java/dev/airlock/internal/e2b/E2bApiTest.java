package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.cloud.SandboxGoneException;
import dev.airlock.internal.cloud.SandboxService.Listed;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The control-plane client against the fake: what it sends, and how it reads E2B's errors. */
@Timeout(60)
class E2bApiTest extends WithFakeE2b {
  private static final ObjectMapper JSON = new ObjectMapper();
  private E2bApi api;

  @BeforeEach
  void createClient() {
    fake.templateRunsBridge = false;
    api = new E2bApi(testing.settings(testing.config(fake)), testing.calls());
  }

  @Test
  void createsAPrivateSandboxWithTheTimeoutAlwaysSentAndReadsExactCaseKeys() throws Exception {
    E2bApi.Created created = api.create(Map.of("airlock-pool", "p1"), Duration.ofSeconds(90));

    FakeE2b.Sandbox sandbox = fake.sandboxes.get(created.sandboxId());
    assertThat(sandbox).isNotNull();
    assertThat(created.envdAccessToken()).isEqualTo(sandbox.envdToken);
    assertThat(created.trafficAccessToken()).isEqualTo(sandbox.trafficToken).isNotNull();
    assertThat(created.envdVersion()).isEqualTo("0.6.13");
    assertThat(created.domain()).isNull();
    RecordedRequest request = fake.apiRequests.get(0);
    assertThat(request.getHeaders().get("Content-Type")).startsWith("application/json");
    assertThat(JSON.readTree(request.getBody().toByteArray())).isEqualTo(JSON.readTree("""
        {"templateID":"airlock-worker","timeout":90,"autoPause":false,"secure":true,
         "allow_internet_access":false,"network":{"allowPublicTraffic":false},
         "metadata":{"airlock-pool":"p1"},"envVars":{}}"""));
    assertThat(sandbox.endAt).isBetween(sandbox.startedAt.plusSeconds(89), sandbox.startedAt.plusSeconds(91));
  }

  @Test
  void allowsTheInternetOnlyWhenConfigured() throws Exception {
    AirlockConfig config = testing.config(fake).toBuilder().backendProperty(E2bSettings.INTERNET, "true").build();
    new E2bApi(testing.settings(config), testing.calls()).create(Map.of(), Duration.ofSeconds(60));
    assertThat(JSON.readTree(fake.apiRequests.get(0).getBody().toByteArray()).get("allow_internet_access")
        .asBoolean()).isTrue();
  }

  @Test
  void aRefusedApiKeyNamesTheVariableToFix() {
    AirlockConfig config = testing.config(fake).toBuilder()
        .backendProperty(E2bSettings.API_KEY, "e2b_00000000000000000000000000000000000000ff").build();
    E2bApi wrongKey = new E2bApi(testing.settings(config), testing.calls());
    assertThatThrownBy(() -> wrongKey.create(Map.of(), Duration.ofSeconds(60)))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("401")
        .hasMessageContaining("Invalid API key")
        .hasMessageContaining("E2B_API_KEY");
    assertThat(fake.apiRequests).hasSize(1);
    assertThat(fake.apiRequests.get(0).getHeaders().get("X-API-Key"))
        .isEqualTo("e2b_00000000000000000000000000000000000000ff");
  }

  /** A followed 307 would re-send the create, X-API-Key header included, to wherever the redirect points. */
  @Test
  void aRedirectFromTheControlPlaneIsNeverFollowed() throws Exception {
    try (MockWebServer elsewhere = new MockWebServer()) {
      elsewhere.start();
      String target = elsewhere.url("/sandboxes").toString();
      fake.script(fake.api, FakeE2b.request("POST", "/sandboxes"),
          new MockResponse.Builder().code(307).setHeader("Location", target).build());
      assertThatThrownBy(() -> api.create(Map.of(), Duration.ofSeconds(60)))
          .isInstanceOf(SandboxUnavailableException.class)
          .hasMessageContaining("307")
          .hasMessageContaining("never follow redirects");
      String id = api.create(Map.of(), Duration.ofSeconds(60)).sandboxId();
      fake.script(fake.api, FakeE2b.request("DELETE", "/sandboxes/" + id),
          new MockResponse.Builder().code(302).setHeader("Location", target).build());
      assertThatThrownBy(() -> api.kill(id)).hasMessageContaining("302");
      assertThat(elsewhere.getRequestCount()).as("requests sent to the redirect target").isZero();
    }
  }

  @Test
  void theRateLimiterIsRetriedAfterWhatRetryAfterAsks() throws Exception {
    fake.script(fake.api, FakeE2b.request("POST", "/sandboxes"), FakeE2b.rateLimited());
    fake.script(fake.api, FakeE2b.request("POST", "/sandboxes"), FakeE2b.rateLimited());

    E2bApi.Created created = api.create(Map.of(), Duration.ofSeconds(60));

    assertThat(created.sandboxId()).matches("i[a-z0-9]{20}");
    assertThat(testing.waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
    assertThat(fake.apiRequests).hasSize(3);
  }

  @Test
  void theConcurrencyLimitIsRetriedWithBackoffThenNamed() {
    for (int i = 0; i < 4; i++) {
      fake.script(fake.api, FakeE2b.request("POST", "/sandboxes"), FakeE2b.concurrencyLimited());
    }
    assertThatThrownBy(() -> api.create(Map.of(), Duration.ofSeconds(60)))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("429")
        .hasMessageContaining("maximum number of concurrent E2B sandboxes")
        .hasMessageContaining("limit of concurrent sandboxes");
    assertThat(fake.apiRequests).hasSize(4);
    assertThat(testing.waits).hasSize(3).allSatisfy(wait -> assertThat(wait)
        .isBetween(Duration.ofMillis(125), Duration.ofSeconds(10)));
  }

  @Test
  void aServerErrorOnCreateIsNotRetriedBecauseCreateIsNotIdempotent() {
    fake.script(fake.api, FakeE2b.request("POST", "/sandboxes"), FakeE2b.error(500, "internal error"));
    assertThatThrownBy(() -> api.create(Map.of(), Duration.ofSeconds(60)))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("500 internal error");
    assertThat(fake.apiRequests).hasSize(1);
    assertThat(testing.waits).isEmpty();
  }

  @Test
  void serverErrorsOnKillAreRetriedWithJitteredBackoff() throws Exception {
    String id = api.create(Map.of(), Duration.ofSeconds(60)).sandboxId();
    fake.script(fake.api, FakeE2b.request("DELETE", "/sandboxes/" + id), FakeE2b.error(503, "unavailable"));
    fake.script(fake.api, FakeE2b.request("DELETE", "/sandboxes/" + id), FakeE2b.error(502, "bad gateway"));

    assertThat(api.kill(id)).isTrue();

    assertThat(fake.sandboxes.get(id).killed).isTrue();
    assertThat(testing.waits).hasSize(2);
    assertThat(testing.waits.get(0)).isBetween(Duration.ofMillis(125), Duration.ofMillis(250));
    assertThat(testing.waits.get(1)).isBetween(Duration.ofMillis(250), Duration.ofMillis(500));
  }

  @Test
  void killingASandboxE2bDoesNotKnowMeansItIsAlreadyGone() throws Exception {
    assertThat(api.kill("iunknown0000000000000")).isFalse();
    assertThat(fake.apiRequests.get(0).getMethod()).isEqualTo("DELETE");
  }

  @Test
  void extendingSetsTheTimeoutFromNowAndAnUnknownSandboxIsGone() throws Exception {
    String id = api.create(Map.of(), Duration.ofSeconds(30)).sandboxId();
    api.setTimeout(id, Duration.ofSeconds(600));
    assertThat(fake.sandboxes.get(id).endAt).isAfter(java.time.Instant.now().plusSeconds(590));
    assertThat(fake.apiRequests.get(1).getBody().utf8()).isEqualTo("{\"timeout\":600}");
    assertThatThrownBy(() -> api.setTimeout("iunknown0000000000000", Duration.ofSeconds(60)))
        .isInstanceOf(SandboxGoneException.class);
  }

  @Test
  void listsEveryPageOfSandboxesMatchingTheMetadataFilter() throws Exception {
    for (int i = 0; i < 5; i++) {
      api.create(Map.of("airlock-host", "box a", "n", Integer.toString(i)), Duration.ofSeconds(60));
    }
    api.create(Map.of("airlock-host", "other"), Duration.ofSeconds(60));
    fake.apiRequests.clear();
    fake.script(fake.api, r -> r.getUrl().encodedPath().equals("/v2/sandboxes"), firstPageOfTwo());

    List<Listed> listed = api.list(Map.of("airlock-host", "box a"));

    assertThat(listed).hasSize(5).allSatisfy(l -> assertThat(l.labels()).containsEntry("airlock-host", "box a"));
    assertThat(listed).extracting(Listed::id).doesNotHaveDuplicates();
    List<RecordedRequest> pages = fake.apiRequests;
    assertThat(pages).hasSize(2);
    assertThat(pages.get(0).getUrl().queryParameter("metadata")).isEqualTo("airlock-host=box+a");
    assertThat(pages.get(0).getUrl().queryParameter("nextToken")).isNull();
    assertThat(pages.get(1).getUrl().queryParameter("nextToken")).isEqualTo("2");
  }

  /** The first page holds two of the five, with the cursor to the rest. */
  private MockResponse firstPageOfTwo() throws Exception {
    List<FakeE2b.Sandbox> box = fake.sandboxes.values().stream()
        .filter(s -> s.metadata.get("airlock-host").equals("box a"))
        .sorted(java.util.Comparator.comparing(s -> s.id)).toList();
    String page = JSON.writeValueAsString(box.subList(0, 2).stream().map(s -> Map.of("sandboxID", s.id,
        "templateID", "rki5dems9wqfm4r03t7g", "clientID", "6532622b", "state", "running", "metadata", s.metadata))
        .toList());
    return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json; charset=utf-8")
        .setHeader("X-Next-Token", "2").body(page).build();
  }
}
