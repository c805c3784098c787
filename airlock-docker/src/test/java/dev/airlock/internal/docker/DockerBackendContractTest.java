package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Container;
import dev.airlock.AirlockConfig;
import dev.airlock.spi.contract.SandboxBackendContract;
import org.junit.jupiter.api.BeforeAll;

/** The whole backend contract, malicious battery included, on a real Docker engine. */
class DockerBackendContractTest extends SandboxBackendContract {

  @BeforeAll
  static void requireEngine() {
    DockerTestEngine.require();
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
