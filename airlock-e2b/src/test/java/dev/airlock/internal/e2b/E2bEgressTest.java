package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxPool;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.internal.intercept.CallEgress;
import dev.airlock.internal.intercept.Invocation;
import dev.airlock.internal.intercept.LocalCall;
import dev.airlock.internal.intercept.PoolAccess;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Egress on E2B: the pool's allow list, a deny-all and the secrets' header transforms go into every create body (the
 * fake checks their shape as E2B documents it); a call naming more gets its list put on its sandbox with
 * {@code PUT /sandboxes/{id}/network} before it is shipped, fails closed when that fails, and a sandbox never
 * narrows.
 */
@Timeout(120)
class E2bEgressTest extends WithFakeE2b {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Made at run time: a constant would be in this class's file, which the classpath upload ships. */
  private static final String SECRET = "sk-" + UUID.randomUUID();

  private SandboxPool pool(AirlockConfig config) {
    E2bEgress egress = E2bEgress.of(config, false, Map.of("OPENAI_KEY", SECRET)::get);
    return SandboxPool.builder(config).reuse(false).minSize(0).maxSize(1)
        .backend("e2b", () -> E2bBackendProvider.create(testing.settings(config), testing.calls(), false, egress))
        .build();
  }

  private AirlockConfig config(String allow) {
    return testing.config(fake).toBuilder()
        .set(AirlockConfig.EGRESS_ALLOW, allow)
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "openai.host", "api.openai.com")
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "openai.header", "Authorization")
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "openai.value", "Bearer ${env:OPENAI_KEY}")
        .build();
  }

  @Test
  void everySandboxIsCreatedWithTheAllowListADenyAllAndTheSecretsAsHeaderTransforms() throws Exception {
    try (SandboxPool pool = pool(config("api.github.com,*.wikipedia.org"))) {
      assertThat(pool.call(() -> 6 * 7)).isEqualTo(42);
    }
    JsonNode body = JSON.readTree(E2bEndToEndTest.only(fake.apiRequests, "POST", "/sandboxes").getBody()
        .toByteArray());
    assertThat(body.at("/network/allowOut")).containsExactlyInAnyOrder(JSON.valueToTree("api.github.com"),
        JSON.valueToTree("*.wikipedia.org"));
    assertThat(body.at("/network/denyOut")).containsExactly(JSON.valueToTree("0.0.0.0/0"));
    assertThat(body.at("/network/allowPublicTraffic").asBoolean(true)).isFalse();
    assertThat(body.get("allow_internet_access").asBoolean()).isTrue();
    assertThat(body.at("/network/rules/api.openai.com/0/transform/headers/Authorization").asText())
        .isEqualTo("Bearer " + SECRET);
    // The sandbox itself never sees it: not in its environment, not in any file the fake received.
    assertThat(body.get("envVars").toString()).doesNotContain(SECRET);
    assertThat(fake.sandboxRequests).noneMatch(r -> r.getBody() != null && r.getBody().utf8().contains(SECRET));
    AirlockConfig config = config("api.github.com");
    assertThat(E2bBackendProvider.posture(testing.settings(config), E2bEgress.of(config, false, name -> SECRET))
        .control("network").orElseThrow().how()).contains("allowOut [api.github.com]")
        .doesNotContain("no outbound internet").doesNotContain(SECRET);
  }

  private static Invocation invocation(SandboxCall<Integer> call, LocalCall onHost, String... egress)
      throws NoSuchMethodException {
    return new Invocation(call, SandboxCall.class.getMethod("call"), new Object[0], Duration.ofSeconds(30), false,
        onHost, CallEgress.of(egress, List.of()));
  }

  private List<JsonNode> updates() throws Exception {
    List<JsonNode> bodies = new ArrayList<>();
    for (RecordedRequest r : fake.apiRequests) {
      if (r.getMethod().equals("PUT")) {
        assertThat(r.getUrl().encodedPath()).matches("/sandboxes/i[a-z0-9]{20}/network");
        assertThat(r.getHeaders().get("X-API-Key")).isEqualTo(FakeE2b.API_KEY);
        assertThat(r.getHeaders().get("Content-Type")).startsWith("application/json");
        bodies.add(JSON.readTree(r.getBody().toByteArray()));
      }
    }
    return bodies;
  }

  @Test
  void aCallNamingMoreHostsGetsThemPutOnItsSandboxBeforeItIsShippedAndAPoolCallNeedsNoUpdate() throws Throwable {
    try (SandboxPool pool = pool(config("api.github.com"))) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
      assertThat(updates()).as("a call with the pool's own list runs on the sandbox as created").isEmpty();

      CallEgress egress = CallEgress.of(new String[] {"*.wikipedia.org", "api.github.com"}, List.of());
      SandboxCall<Integer> call = () -> 2;
      assertThat(PoolAccess.invoke(pool, new Invocation(call, SandboxCall.class.getMethod("call"), new Object[0],
          Duration.ofSeconds(30), true, call::call, egress))).isEqualTo(2);

      List<JsonNode> updates = updates();
      assertThat(updates).hasSize(1);
      JsonNode body = updates.get(0);
      // Every egress field is sent again: E2B clears what an update leaves out (the deny-all, the secrets' rules).
      assertThat(body.fieldNames()).toIterable().containsExactlyInAnyOrder("allowOut", "denyOut", "rules");
      assertThat(body.get("allowOut")).containsExactly(JSON.valueToTree("*.wikipedia.org"),
          JSON.valueToTree("api.github.com"));
      assertThat(body.get("denyOut")).containsExactly(JSON.valueToTree("0.0.0.0/0"));
      assertThat(body.at("/rules/api.openai.com/0/transform/headers/Authorization").asText())
          .isEqualTo("Bearer " + SECRET);
      // The call's frames reached its sandbox's bridge only once E2B held the call's list.
      String id = fake.apiRequests.stream().filter(r -> r.getMethod().equals("PUT")).findFirst().orElseThrow()
          .getUrl().pathSegments().get(1);
      assertThat(fake.sandboxes.get(id).networkAtFrames).isNotEmpty()
          .allSatisfy(held -> assertThat(held.get("allowOut")).isEqualTo(body.get("allowOut")));
      assertThat(egress.unmeasured()).hasValueSatisfying(why -> assertThat(why).contains("unknown to Airlock"));
      assertThat(fake.sandboxRequests).noneMatch(r -> r.getBody() != null && r.getBody().utf8().contains(SECRET));
    }
  }

  @Test
  void aFailedUpdateFailsTheCallClosedNeverShippedNorRunOnTheHost() throws Throwable {
    try (SandboxPool pool = pool(config("api.github.com"))) {
      fake.script(fake.api, r -> r.getMethod().equals("PUT"), FakeE2b.error(409,
          "Sandbox is changing state"));
      AtomicBoolean ranOnHost = new AtomicBoolean();
      SandboxCall<Integer> call = () -> 3;
      assertThatThrownBy(() -> PoolAccess.invoke(pool, invocation(call, () -> {
        ranOnHost.set(true);
        return 3;
      }, "evil.example"))).isInstanceOf(SandboxExecutionException.class)
          .hasMessageContaining("not shipped").hasMessageContaining("409").hasMessageContaining("[api.github.com, "
              + "evil.example]");
      assertThat(ranOnHost).as("a failed rule change never becomes a host call, even when not required").isFalse();
      assertThat(updates()).hasSize(1);
      assertThat(fake.sandboxes.values()).allSatisfy(s -> assertThat(s.networkAtFrames).isEmpty());
    }
  }

  @Test
  void aSandboxOnlyWidensAndOneWhoseUpdateFailedRunsNothingMore() throws Exception {
    AirlockConfig config = config("api.github.com");
    E2bEgress pool = E2bEgress.of(config, false, Map.of("OPENAI_KEY", SECRET)::get);
    E2bApi api = new E2bApi(testing.settings(config), testing.calls());
    String id = api.create(Map.of(), Duration.ofSeconds(60), pool).sandboxId();
    E2bSandboxEgress sandbox = new E2bSandboxEgress(pool, api, id);
    EgressSettings settings = EgressSettings.of(config);

    sandbox.beginCall(settings.rules(List.of("api.github.com", "*.wikipedia.org")));
    sandbox.endCall();
    assertThat(fake.sandboxes.get(id).network.get("allowOut")).hasSize(2);
    // A guest may hold a connection to *.wikipedia.org open: a narrower call never runs here, and nothing is sent.
    assertThatThrownBy(() -> sandbox.beginCall(settings.rules(List.of("api.github.com"))))
        .isInstanceOf(SandboxExecutionException.class).hasMessageContaining("[*.wikipedia.org]")
        .hasMessageContaining("not reused");
    assertThat(updates()).hasSize(1);
    // As wide, then wider: allowed; the same list needs no update.
    sandbox.beginCall(settings.rules(List.of("*.wikipedia.org", "api.github.com")));
    assertThat(updates()).hasSize(1);
    sandbox.beginCall(settings.rules(List.of("api.github.com", "*.wikipedia.org", "example.org")));
    assertThat(updates()).hasSize(2);
    assertThat(sandbox.current()).containsExactly("*.wikipedia.org", "api.github.com", "example.org");

    fake.script(fake.api, r -> r.getMethod().equals("PUT"), FakeE2b.error(400, "invalid allow out entry: x"));
    assertThatThrownBy(() -> sandbox.beginCall(settings.rules(List.of("api.github.com", "*.wikipedia.org",
        "example.org", "more.example")))).isInstanceOf(SandboxExecutionException.class).hasMessageContaining("400");
    assertThatThrownBy(() -> sandbox.beginCall(settings.rules(List.of("api.github.com", "*.wikipedia.org",
        "example.org", "more.example")))).isInstanceOf(SandboxExecutionException.class)
        .hasMessageContaining("unknown");
    assertThat(updates()).as("no update is tried on a sandbox whose rules are unknown").hasSize(3);

    fake.sandboxes.get(id).kill();
    E2bSandboxEgress gone = new E2bSandboxEgress(pool, api, id);
    assertThatThrownBy(() -> gone.beginCall(settings.rules(List.of("api.github.com", "example.org"))))
        .isInstanceOf(SandboxExecutionException.class).hasMessageContaining("no longer knows");
  }

  @Test
  void entriesE2bCannotEnforceAsWrittenAreRefusedPerCallBeforeAnyUpdate() throws Throwable {
    try (SandboxPool pool = pool(config("api.github.com"))) {
      SandboxCall<Integer> call = () -> 4;
      for (String entry : List.of("example.com:8443", "203.0.113.7", "198.51.100.0/24:443")) {
        assertThatThrownBy(() -> PoolAccess.invoke(pool, invocation(call, call::call, entry)))
            .isInstanceOf(SandboxExecutionException.class).hasMessageContaining(entry.replace(":443", ""))
            .hasMessageContaining("nothing was shipped");
      }
      assertThat(updates()).isEmpty();
    }
  }

  /** A tool as an application writes it, whose annotation names one more host than the pool. */
  public static final class WikiTools {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30, egress = "*.wikipedia.org")
    public int fetch(int n) throws IOException {
      if (n < 0) {
        throw new IOException("Connection reset");
      }
      return n * 2;
    }
  }

  @Test
  void anInterceptedToolIsAuditedAsUnmeasuredAndItsFailureSaysWhereToAllowAHost() throws Throwable {
    try (SandboxPool pool = pool(config("api.github.com"))) {
      AirlockInterceptor interceptor = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
        @Override
        public AirlockConfig config() {
          return testing.config(fake);
        }

        @Override
        public SandboxPool pool(String backend, int memoryMb) {
          return pool;
        }
      }, new Guard(name -> Optional.empty(), new InProcessRateLimitStore(), Clock.systemUTC()));
      Method fetch = WikiTools.class.getMethod("fetch", int.class);
      assertThat(interceptor.intercept(new WikiTools(), fetch, new Object[] {21}, () -> -1)).isEqualTo(42);
      assertThat(updates()).singleElement().satisfies(body -> assertThat(body.get("allowOut"))
          .containsExactly(JSON.valueToTree("*.wikipedia.org"), JSON.valueToTree("api.github.com")));
      // Nothing E2B did is known: no zero is counted as if it had been measured.
      assertThat(interceptor.auditLog().egressCounts()).isEmpty();

      assertThatThrownBy(() -> interceptor.intercept(new WikiTools(), fetch, new Object[] {-1}, () -> -1))
          .isInstanceOf(IOException.class).hasMessageContaining("Connection reset")
          .satisfies(e -> assertThat(Arrays.stream(e.getSuppressed()).map(Throwable::getMessage))
              .anyMatch(m -> m.contains("E2B's firewall") && m.contains("@Airlock(egress")));
      assertThat(interceptor.auditLog().egressCounts()).isEmpty();
    }
  }

  @Test
  void withoutEgressTheCreateBodyIsAsBefore() throws Exception {
    try (SandboxPool pool = SandboxPool.builder(testing.config(fake)).minSize(0).maxSize(1)
        .backend("e2b", () -> testing.backend(fake)).build()) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
    }
    JsonNode body = JSON.readTree(E2bEndToEndTest.only(fake.apiRequests, "POST", "/sandboxes").getBody()
        .toByteArray());
    assertThat(body.get("allow_internet_access").asBoolean()).isFalse();
    assertThat(body.get("network").has("allowOut")).isFalse();
    assertThat(body.get("network").has("rules")).isFalse();
  }

  @Test
  void badCombinationsFailAtStartNamingTheKey() {
    assertThatThrownBy(() -> E2bEgress.of(config("api.github.com"), true, name -> SECRET))
        .hasMessageContaining(E2bSettings.INTERNET);
    assertThatThrownBy(() -> E2bEgress.of(config("example.com:8443"), false, name -> SECRET))
        .hasMessageContaining("example.com:8443").hasMessageContaining("port");
    assertThatThrownBy(() -> E2bEgress.of(config("10.0.0.0/8"), false, name -> SECRET))
        .hasMessageContaining(AirlockConfig.EGRESS_ALLOW).hasMessageContaining("10.0.0.0/8")
        .hasMessageContaining("every port and protocol");
    AirlockConfig policy = config("api.github.com").toBuilder().set("airlock.policy.fetchers.egress",
        "api.github.com:443").build();
    assertThatThrownBy(() -> E2bEgress.of(policy, false, name -> SECRET))
        .hasMessageContaining("airlock.policy.fetchers.egress").hasMessageContaining("port");
    AirlockConfig twoForOneHost = config("api.github.com").toBuilder()
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "org.host", "api.openai.com")
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "org.header", "OpenAI-Organization")
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "org.value", "org-1").build();
    assertThat(E2bEgress.of(twoForOneHost, false, name -> SECRET).network().rules().get("api.openai.com"))
        .as("E2B takes one transform per domain").singleElement()
        .satisfies(rule -> assertThat(rule.transform().headers()).containsOnlyKeys("Authorization",
            "OpenAI-Organization"));
    AirlockConfig sameHeader = twoForOneHost.toBuilder()
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "org.header", "authorization").build();
    assertThatThrownBy(() -> E2bEgress.of(sameHeader, false, name -> SECRET)).hasMessageContaining("authorization")
        .hasMessageContaining("api.openai.com").hasMessageNotContaining(SECRET);
    AirlockConfig secretOnAPort = config("api.github.com").toBuilder()
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "openai.host", "api.openai.com:8443").build();
    assertThatThrownBy(() -> E2bEgress.of(secretOnAPort, false, name -> SECRET))
        .as("E2B adds headers by name on 80 and 443, so it could not keep a secret to one port")
        .hasMessageContaining("api.openai.com:8443").hasMessageContaining("port").hasMessageNotContaining(SECRET);
    assertThatThrownBy(() -> E2bEgress.of(config("api.github.com"), false, name -> null))
        .hasMessageContaining(AirlockConfig.EGRESS_SECRETS_PREFIX + "openai.value").hasMessageContaining("OPENAI_KEY")
        .hasMessageNotContaining(SECRET);
  }
}
