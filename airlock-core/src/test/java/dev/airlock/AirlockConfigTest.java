package dev.airlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AirlockConfigTest {

  @Test
  void hasTheDocumentedDefaults() {
    AirlockConfig c = AirlockConfig.defaults();
    assertThat(c.backend()).isEqualTo("local");
    assertThat(c.timeoutSeconds()).isEqualTo(60);
    assertThat(c.memoryMb()).isEqualTo(256);
    assertThat(c.maxPayloadBytes()).isEqualTo(10 * 1024 * 1024);
    assertThat(c.maxResultBytes()).isEqualTo(10 * 1024 * 1024);
    assertThat(c.poolMinSize()).isEqualTo(2);
    assertThat(c.poolMaxSize()).isEqualTo(10);
    assertThat(c.poolIdleTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(c.poolReuse()).isFalse();
    assertThat(c.sandboxRequired()).isFalse();
    assertThat(c.localIsolation()).isEqualTo(AirlockConfig.LocalIsolation.AUTO);
  }

  @Test
  void mapsKeysToEnvironmentNames() {
    assertThat(AirlockConfig.environmentName("airlock.pool.min-size")).isEqualTo("AIRLOCK_POOL_MIN_SIZE");
    assertThat(AirlockConfig.environmentName("airlock.backend")).isEqualTo("AIRLOCK_BACKEND");
  }

  @Test
  void readsPropertiesBeforeEnvironment() {
    Map<String, String> props = Map.of("airlock.pool.min-size", "1", "airlock.local.isolation", "strict");
    Map<String, String> env = Map.of("AIRLOCK_POOL_MIN_SIZE", "5", "AIRLOCK_TIMEOUT_SECONDS", "7",
        "AIRLOCK_POOL_REUSE", "TRUE", "AIRLOCK_CPUS", "0.5");
    AirlockConfig c = AirlockConfig.fromSources(props::get, env::get);
    assertThat(c.poolMinSize()).isEqualTo(1);
    assertThat(c.timeoutSeconds()).isEqualTo(7);
    assertThat(c.poolReuse()).isTrue();
    assertThat(c.cpus()).isEqualTo(0.5);
    assertThat(c.localIsolation()).isEqualTo(AirlockConfig.LocalIsolation.STRICT);
  }

  @Test
  void badValuesNameTheKeyAndTheValue() {
    Map<String, String> env = Map.of("AIRLOCK_POOL_MAX_SIZE", "lots");
    assertThatThrownBy(() -> AirlockConfig.fromSources(k -> null, env::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("airlock.pool.max-size='lots'")
        .hasMessageContaining("AIRLOCK_POOL_MAX_SIZE")
        .hasMessageContaining("whole number");
    assertThatThrownBy(() -> AirlockConfig.builder().set("airlock.local.isolation", "paranoid"))
        .hasMessageContaining("airlock.local.isolation='paranoid'").hasMessageContaining("auto, strict, none");
    assertThatThrownBy(() -> AirlockConfig.builder().set("airlock.sandbox-required", "yes"))
        .hasMessageContaining("true or false");
    assertThatThrownBy(() -> AirlockConfig.builder().poolMinSize(5).poolMaxSize(2).build())
        .hasMessageContaining("airlock.pool.min-size=5").hasMessageContaining("airlock.pool.max-size=2");
  }

  @Test
  void keepsBackendKeysAndIsImmutable() {
    AirlockConfig c = AirlockConfig.builder().set("airlock.docker.image", "jre:17").build();
    assertThat(c.backendProperty("airlock.docker.image", "x")).isEqualTo("jre:17");
    assertThatThrownBy(() -> c.backendProperties().put("airlock.docker.image", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
    AirlockConfig changed = c.toBuilder().timeoutSeconds(5).build();
    assertThat(c.timeoutSeconds()).isEqualTo(60);
    assertThat(changed.timeoutSeconds()).isEqualTo(5);
    assertThat(changed.backendProperties()).isEqualTo(c.backendProperties());
    assertThatThrownBy(() -> AirlockConfig.builder().backendProperty("airlock.backend", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AirlockConfig.builder().set("airlock.pool.min-sise", "1"))
        .hasMessageContaining("unknown key 'airlock.pool.min-sise'");
    assertThatThrownBy(() -> AirlockConfig.builder().set("airlock.timeout", "1"))
        .hasMessageContaining("unknown key");
  }

  /**
   * Attack review 9: the smallest CPU limit a backend enforces is 0.01 CPU (Docker refuses less; the local cgroup
   * quota is clamped to it). {@code airlock.cpus=1e-10} became NanoCPUs 0 on Docker, which the engine reads as no
   * limit, while the posture reported "1.0E-10 CPUs" enforced; between 1e-9 and 0.01 every worker start failed.
   */
  @Test
  void aCpuLimitBelowWhatBackendsEnforceIsRefusedNamingTheKey() {
    for (String cpus : new String[] {"1e-10", "0.000000001", "0.005"}) {
      assertThatThrownBy(() -> AirlockConfig.fromSources(Map.of(), Map.of("AIRLOCK_CPUS", cpus)))
          .as(cpus).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(AirlockConfig.CPUS)
          .hasMessageContaining("0.01");
    }
    assertThat(AirlockConfig.fromSources(Map.of(), Map.of("AIRLOCK_CPUS", "0.01")).cpus()).isEqualTo(0.01);
  }
}
