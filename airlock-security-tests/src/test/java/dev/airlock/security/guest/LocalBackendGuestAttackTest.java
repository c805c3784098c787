package dev.airlock.security.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.security.WorkerProcesses;

/** The guest attacks on the embedded backend, with namespaces (bubblewrap is installed by .ci/run). */
class LocalBackendGuestAttackTest extends GuestAttackSuite {

  @Override
  protected AirlockConfig backendConfig() {
    return AirlockConfig.builder().backend("local").localIsolation(AirlockConfig.LocalIsolation.STRICT).build();
  }

  @Override
  protected boolean provesIdleness() {
    return true;
  }

  @Override
  protected void assertNothingLeftBehind() {
    assertThat(WorkerProcesses.descendants()).as("processes left behind by the local backend").isEmpty();
  }
}
