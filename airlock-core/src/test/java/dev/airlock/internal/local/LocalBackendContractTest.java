package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.airlock.AirlockConfig;
import dev.airlock.spi.contract.SandboxBackendContract;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/** The contract on the embedded backend, with namespaces (bubblewrap is installed by .ci/run). */
class LocalBackendContractTest extends SandboxBackendContract {

  /** CI installs bubblewrap and must fail without it; a developer without it is told why the suite is skipped. */
  @BeforeAll
  static void requireBubblewrap() {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    assumeTrue(ci || Bubblewrap.onPath("bwrap") != null,
        "bubblewrap is not installed: the local backend contract needs namespaces (apt-get install bubblewrap)");
  }

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
    List<String> workers = ProcessHandle.current().descendants()
        .filter(ProcessHandle::isAlive)
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
        .toList();
    assertThat(workers).as("processes left behind by the local backend").isEmpty();
  }
}
