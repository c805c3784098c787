package dev.airlock.security.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.AirlockRuntime;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attack review 9: {@code airlock.policy.<name>.deny-by-default} makes a policy refuse every tool it does not allow.
 * It was read with {@code Boolean.parseBoolean}, so {@code yes}, {@code 1}, {@code on} or a typo (what Spring's
 * binder and most tools read as true) left the policy allowing every tool, silently. Every other boolean key is
 * refused unless it is true or false.
 */
class PolicyBooleanValueTest {

  @ParameterizedTest
  @ValueSource(strings = {"yes", "1", "on", "ture", "enabled"})
  void aDenyByDefaultThatIsNeitherTrueNorFalseIsRefusedNamingTheKey(String value) {
    assertThatThrownBy(() -> AirlockConfig.fromSources(Map.of(), Map.of(
        "AIRLOCK_POLICY_GLOBAL_DENY_BY_DEFAULT", value, "AIRLOCK_POLICY_GLOBAL_ALLOW", "read*")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("airlock.policy.global.deny-by-default").hasMessageContaining("true or false");
    assertThatThrownBy(() -> AirlockPolicy.fromProperties("team", Map.of(
        "airlock.policy.team.deny-by-default", value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("airlock.policy.team.deny-by-default");
  }

  @ParameterizedTest
  @ValueSource(strings = {"true", "TRUE", " true "})
  void trueDeniesByDefault(String value) {
    AirlockConfig config = AirlockConfig.fromSources(Map.of("airlock.policy.global.deny-by-default", value),
        Map.of());
    assertThat(AirlockRuntime.policy("", config).orElseThrow().denyByDefault()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"false", "False"})
  void falseAllowsByDefault(String value) {
    AirlockConfig config = AirlockConfig.fromSources(Map.of("airlock.policy.global.deny-by-default", value),
        Map.of());
    assertThat(AirlockRuntime.policy("", config).orElseThrow().denyByDefault()).isFalse();
  }
}
