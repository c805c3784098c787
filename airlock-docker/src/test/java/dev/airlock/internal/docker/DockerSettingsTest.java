package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Keys and registration; no engine needed. */
class DockerSettingsTest {

  @Test
  void isFoundByServiceLoaderUnderItsName() {
    assertThat(ServiceLoader.load(dev.airlock.spi.SandboxBackendProvider.class).stream()
        .map(p -> p.get().name())).contains("docker");
  }

  @Test
  void readsItsKeysFromTheEnvironment() {
    Map<String, String> env = Map.of("AIRLOCK_BACKEND", "docker", "AIRLOCK_DOCKER_IMAGE", "my-jre:21",
        "AIRLOCK_DOCKER_RUNTIME", "runsc", "AIRLOCK_DOCKER_TMP_MB", "16");
    DockerSettings settings = DockerSettings.of(AirlockConfig.fromSources(key -> null, env::get));
    assertThat(settings.image()).isEqualTo("my-jre:21");
    assertThat(settings.runtime()).isEqualTo("runsc");
    assertThat(settings.tmpMb()).isEqualTo(16);
  }

  @Test
  void defaultsAreHardened() {
    DockerSettings settings = DockerSettings.of(AirlockConfig.defaults());
    assertThat(settings.image()).isEqualTo(DockerSettings.DEFAULT_IMAGE);
    assertThat(settings.user()).isEqualTo("65534:65534");
    assertThat(settings.runsAsRoot()).isFalse();
    assertThat(settings.runtime()).isEmpty();
  }

  @Test
  void rootUsersAreRecognised() {
    for (String root : new String[] {"0", "0:0", "root", "root:root"}) {
      AirlockConfig config = AirlockConfig.builder().backendProperty(DockerSettings.USER, root).build();
      assertThat(DockerSettings.of(config).runsAsRoot()).as(root).isTrue();
    }
  }

  @Test
  void aBadTmpSizeNamesTheKey() {
    AirlockConfig config = AirlockConfig.builder().backendProperty(DockerSettings.TMP_MB, "lots").build();
    assertThatThrownBy(() -> DockerSettings.of(config))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(DockerSettings.TMP_MB)
        .hasMessageContaining("lots");
  }
}
