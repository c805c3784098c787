package dev.airlock;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Policies read from a configuration's keys are kept per configuration: another configuration is read afresh. */
class AirlockRuntimePolicyTest {

  @Test
  void eachConfigurationAnswersWithItsOwnPolicies() {
    AirlockConfig denies = AirlockConfig.fromSources(Map.of("airlock.policy.kept.deny", "drop*"), Map.of());
    AirlockConfig allows = AirlockConfig.fromSources(Map.of("airlock.policy.kept.allow", "read*"), Map.of());
    AirlockConfig none = AirlockConfig.fromSources(Map.of(), Map.of());

    for (int round = 0; round < 2; round++) {
      assertThat(AirlockRuntime.policy("kept", denies)).get().extracting(AirlockPolicy::deny)
          .isEqualTo(List.of("drop*"));
      assertThat(AirlockRuntime.policy("kept", denies)).get().extracting(AirlockPolicy::deny)
          .as("read again from the same configuration").isEqualTo(List.of("drop*"));
      assertThat(AirlockRuntime.policy("kept", allows)).get().extracting(AirlockPolicy::deny).isEqualTo(List.of());
      assertThat(AirlockRuntime.policy("kept", none)).isEmpty();
      assertThat(AirlockRuntime.policy("other", denies)).isEmpty();
    }
  }

  @Test
  void aRegisteredPolicyStillComesFirst() {
    AirlockConfig config = AirlockConfig.fromSources(Map.of("airlock.policy.registered-first.deny", "x*"), Map.of());
    assertThat(AirlockRuntime.policy("registered-first", config)).get().extracting(AirlockPolicy::deny)
        .isEqualTo(List.of("x*"));
    AirlockRuntime.registerPolicy("registered-first", AirlockPolicy.builder().deny("y*").build());
    assertThat(AirlockRuntime.policy("registered-first", config)).get().extracting(AirlockPolicy::deny)
        .isEqualTo(List.of("y*"));
  }
}
