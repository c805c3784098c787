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
    assertThat(settings.user()).isEqualTo(DockerSettings.UNIQUE_USER);
    assertThat(settings.runsAsRoot()).isFalse();
    assertThat(settings.lifelineUser()).isEqualTo("65533:65533");
    String first = settings.nextWorkerUser(false);
    String second = settings.nextWorkerUser(false);
    assertThat(first).isNotEqualTo(second).matches("(\\d{10}):\\1");
    assertThat(Long.parseLong(first.split(":")[0])).isBetween(1L << 30, (1L << 30) + (1L << 28) - 1);
    // An engine in a user namespace (rootless, userns-remap) maps only uids below 65,536; the lifeline has 65533.
    String mapped = settings.nextWorkerUser(true);
    assertThat(mapped).isNotEqualTo(settings.nextWorkerUser(true));
    assertThat(Long.parseLong(mapped.split(":")[0])).isBetween(1000L, 64_999L);
    assertThat(settings.runtime()).isEmpty();
  }

  @Test
  void rootUsersAreRecognised() {
    for (String root : new String[] {"0", "0:0", "root", "root:root"}) {
      AirlockConfig config = AirlockConfig.builder().backendProperty(DockerSettings.USER, root).build();
      assertThat(DockerSettings.of(config).runsAsRoot()).as(root).isTrue();
    }
  }

  /**
   * Attack review 9: the engine reads a numeric user with Go's {@code strconv.Atoi}, so {@code 00}, {@code +0} and
   * {@code -0} are uid 0. The posture compared the text with {@code "0"} and reported the user control as enforced
   * (and logged "ready" instead of the root warning) for a worker that ran as root.
   */
  @Test
  void rootSpelledAsAnotherNumberIsRoot() {
    for (String root : new String[] {"00", "000:0", "+0", "-0", "0000000000000000000000:65534", ":65534"}) {
      AirlockConfig config = AirlockConfig.builder().backendProperty(DockerSettings.USER, root).build();
      assertThat(DockerSettings.of(config).runsAsRoot()).as(root).isTrue();
    }
    for (String user : new String[] {"10", "65534:0", "app", "1000:1000", "+10"}) {
      AirlockConfig config = AirlockConfig.builder().backendProperty(DockerSettings.USER, user).build();
      assertThat(DockerSettings.of(config).runsAsRoot()).as(user).isFalse();
    }
  }

  /** The same reading for the lifeline: a worker user 065533 is uid 65533, so the lifeline must take another uid. */
  @Test
  void theLifelineNeverSharesTheWorkersUidHoweverItIsSpelt() {
    for (String user : new String[] {"65533", "065533:65533", "+65533"}) {
      AirlockConfig config = AirlockConfig.builder().backendProperty(DockerSettings.USER, user).build();
      assertThat(DockerSettings.of(config).lifelineUser()).as(user).isEqualTo("65532:65532");
    }
    AirlockConfig config = AirlockConfig.builder().backendProperty(DockerSettings.USER, "065532").build();
    assertThat(DockerSettings.of(config).lifelineUser()).isEqualTo("65533:65533");
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
