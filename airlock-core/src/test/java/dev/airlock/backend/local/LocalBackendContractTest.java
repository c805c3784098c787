package dev.airlock.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.contract.SandboxBackendContract;
import java.util.List;

/** The contract on the embedded backend, with namespaces (bubblewrap is installed by .ci/run). */
class LocalBackendContractTest extends SandboxBackendContract {

  @Override
  protected AirlockConfig backendConfig() {
    return AirlockConfig.builder().backend("local").localIsolation(AirlockConfig.LocalIsolation.STRICT).build();
  }

  @Override
  protected void assertNothingLeftBehind() {
    List<String> workers = ProcessHandle.current().descendants()
        .filter(ProcessHandle::isAlive)
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
        .toList();
    assertThat(workers).as("processes left behind by the local backend").isEmpty();
  }
}
