package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.Backends;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The provider as users meet it: found by name, configured from properties and the environment. */
class E2bBackendProviderTest {

  @Test
  void isFoundByNameAndAsksForTheApiKeyWhenItIsMissing() {
    AirlockConfig config = AirlockConfig.builder().backend("e2b").build();
    assertThatThrownBy(() -> Backends.create("e2b", config))
        .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("E2B_API_KEY");
  }

  @Test
  void readsItsKeysFromSystemPropertiesAndTheSdkVariablesFromTheEnvironment() {
    Map<String, String> properties = Map.of("airlock.backend", "e2b", "airlock.e2b.template", "team/airlock:v2",
        "airlock.e2b.internet", "true");
    Map<String, String> env = Map.of("E2B_API_KEY", "e2b_abc", "E2B_DOMAIN", "e2b.example",
        "AIRLOCK_E2B_BRIDGE_PORT", "40000");
    AirlockConfig config = AirlockConfig.fromSources(properties::get, env::get);
    E2bSettings settings = E2bSettings.from(config, env::get);

    assertThat(settings.template()).isEqualTo("team/airlock:v2");
    assertThat(settings.internet()).isTrue();
    assertThat(settings.apiKey()).isEqualTo("e2b_abc");
    assertThat(settings.apiUrl().toString()).isEqualTo("https://api.e2b.example/");
    assertThat(settings.bridgePort()).isEqualTo(40000);
    assertThat(settings.toString()).doesNotContain("e2b_abc");
    assertThat(E2bBackendProvider.posture(settings).enforces("network")).isFalse();
  }

  @Test
  void aValueThatDoesNotParseNamesItsKey() {
    AirlockConfig config = AirlockConfig.builder().backendProperty(E2bSettings.INTERNET, "maybe").build();
    assertThatThrownBy(() -> E2bSettings.from(config, Map.of("E2B_API_KEY", "e2b_1")::get))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("airlock.e2b.internet='maybe'");
  }
}
