package dev.airlock.security.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.AirlockRuntime;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 item 10: {@code airlock.policy.<name>.*} is documented as settable by system property and environment;
 * a policy set there must take effect, and a misspelt policy key must stop configuration instead of leaving the
 * tools it was meant to restrict unguarded.
 */
class PolicyConfigurationTest {
  private static final String DENY = "airlock.policy.global.deny";
  private static final String MISSPELT = "airlock.policy.global.denny";

  @AfterEach
  void clear() {
    System.clearProperty(DENY);
    System.clearProperty(MISSPELT);
    System.clearProperty("airlock.timout-seconds");
  }

  @Test
  void aGlobalDenySetBySystemPropertyIsEnforced() {
    System.setProperty(DENY, "exec*, delete*");
    Optional<AirlockPolicy> global = AirlockRuntime.policy("", AirlockConfig.fromEnvironment());
    assertThat(global).isPresent();
    assertThat(global.get().deny()).containsExactly("exec*", "delete*");
  }

  @Test
  void aMisspeltPolicyKeyIsRefusedNamingIt() {
    System.setProperty(MISSPELT, "exec*");
    assertThatThrownBy(AirlockConfig::fromEnvironment).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(MISSPELT).hasMessageContaining("deny");
  }

  @Test
  void aMisspeltCoreKeyIsRefusedNamingIt() {
    System.setProperty("airlock.timout-seconds", "5");
    assertThatThrownBy(AirlockConfig::fromEnvironment).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("airlock.timout-seconds");
  }

  @Test
  void policiesAreReadFromTheEnvironmentWithDashedNames() {
    AirlockConfig config = AirlockConfig.fromSources(Map.of(), Map.of(
        "AIRLOCK_POLICY_READ_ONLY_DENY", "write*",
        "AIRLOCK_POLICY_READ_ONLY_DENY_BY_DEFAULT", "true",
        "AIRLOCK_POLICY_GLOBAL_RATE_LIMIT", "5/minute"));
    AirlockPolicy readOnly = AirlockRuntime.policy("read-only", config).orElseThrow();
    assertThat(readOnly.deny()).containsExactly("write*");
    assertThat(readOnly.denyByDefault()).isTrue();
    assertThat(AirlockRuntime.policy("", config).orElseThrow().rateLimit().permits()).isEqualTo(5);
  }

  @Test
  void aSystemPropertyWinsOverTheEnvironmentAndANameMayHoldDots() {
    AirlockConfig config = AirlockConfig.fromSources(
        Map.of("airlock.policy.team.a.deny", "rm*", "airlock.policy.global.deny", "from-property"),
        Map.of("AIRLOCK_POLICY_GLOBAL_DENY", "from-environment"));
    assertThat(AirlockRuntime.policy("team.a", config).orElseThrow().deny()).containsExactly("rm*");
    assertThat(AirlockRuntime.policy("", config).orElseThrow().deny()).containsExactly("from-property");
  }

  @Test
  void unknownPolicyKeysInTheEnvironmentAndBadValuesAreRefused() {
    assertThatThrownBy(() -> AirlockConfig.fromSources(Map.of(), Map.of("AIRLOCK_POLICY_GLOBAL_DENNY", "x")))
        .hasMessageContaining("AIRLOCK_POLICY_GLOBAL_DENNY");
    assertThatThrownBy(() -> AirlockConfig.fromSources(Map.of("airlock.policy.global.rate-limit", "lots"),
        Map.of())).hasMessageContaining("airlock.policy.global.rate-limit");
  }

  @Test
  void otherNamespacesAreNotConfigurationAndAreLeftAlone() {
    assertThat(AirlockConfig.fromSources(Map.of("airlock.agent.jar", "/x.jar", "airlock.worker", "false"), Map.of())
        .policyNames()).isEmpty();
  }
}
