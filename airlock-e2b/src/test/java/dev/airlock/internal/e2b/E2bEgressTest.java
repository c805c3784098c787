package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxPool;
import dev.airlock.internal.intercept.CallEgress;
import dev.airlock.internal.intercept.Invocation;
import dev.airlock.internal.intercept.PoolAccess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Egress on E2B: the pool's allow list, a deny-all and the secrets' header transforms go into every create body (the
 * fake checks their shape as E2B documents it); a call naming more than the sandbox was created with is refused
 * before anything is shipped.
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
    assertThat(body.at("/network/allowOut")).containsExactly(JSON.valueToTree("api.github.com"),
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

  @Test
  void aCallNamingAHostTheSandboxWasNotCreatedWithIsRefusedBeforeItIsShipped() throws Throwable {
    try (SandboxPool pool = pool(config("api.github.com"))) {
      SandboxCall<Integer> call = () -> 1;
      Invocation allowed = new Invocation(call, SandboxCall.class.getMethod("call"), new Object[0],
          Duration.ofSeconds(30), true, call::call, CallEgress.of(new String[] {"api.github.com"}, List.of()));
      assertThat(PoolAccess.invoke(pool, allowed)).isEqualTo(1);
      Invocation more = new Invocation(call, SandboxCall.class.getMethod("call"), new Object[0],
          Duration.ofSeconds(30), true, call::call, CallEgress.of(new String[] {"evil.example"}, List.of()));
      assertThatThrownBy(() -> PoolAccess.invoke(pool, more)).isInstanceOf(SandboxExecutionException.class)
          .hasMessageContaining("[evil.example]").hasMessageContaining(AirlockConfig.EGRESS_ALLOW);
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
    assertThatThrownBy(() -> E2bEgress.of(config("api.github.com"), false, name -> null))
        .hasMessageContaining(AirlockConfig.EGRESS_SECRETS_PREFIX + "openai.value").hasMessageContaining("OPENAI_KEY")
        .hasMessageNotContaining(SECRET);
  }
}
