package dev.airlock.internal.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import org.junit.jupiter.api.Test;

/**
 * A backend name is either one of Airlock's, whose module may be missing (no sandbox here: a call that does not
 * require one runs on the host), or a mistake, which fails the call: a misspelt name used to count as "unavailable"
 * and ran every call that did not require a sandbox on the host (attack review 9).
 */
class BackendsTest {

  @Test
  void aMisspeltBackendFailsTheCallNamingTheBackendsAndNeverRunsItOnTheHost() {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(false).poolMinSize(0).build();
    try (SandboxPool pool = SandboxPool.builder(config).backend("dokcer").build()) {
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'dokcer'").hasMessageContaining("[local, docker, e2b, morph]")
          .hasMessageContaining("Fix the name");
      assertThat(pool.stats().fallbacks()).isZero();
    }
  }

  @Test
  void anAirlockBackendWhoseModuleIsMissingIsUnavailable() {
    // airlock-docker is not on airlock-core's test classpath.
    assertThatThrownBy(() -> Backends.create("docker", AirlockConfig.builder().build()))
        .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("Add the airlock-docker module");
  }
}
