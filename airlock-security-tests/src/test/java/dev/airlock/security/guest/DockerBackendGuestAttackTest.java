package dev.airlock.security.guest;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Container;
import dev.airlock.AirlockConfig;
import dev.airlock.internal.docker.DockerTestEngine;
import org.junit.jupiter.api.BeforeAll;

/** The guest attacks in hardened containers on a real Docker engine (started by .ci/setup-docker.sh). */
class DockerBackendGuestAttackTest extends GuestAttackSuite {

  @BeforeAll
  static void requireEngine() {
    DockerTestEngine.requireEngine();
  }

  @Override
  protected AirlockConfig backendConfig() {
    return DockerTestEngine.config();
  }

  @Override
  protected void assertNothingLeftBehind() {
    assertThat(DockerTestEngine.containersOfThisJvm()).extracting(Container::getNames)
        .as("containers labelled as this JVM's").isEmpty();
  }
}
