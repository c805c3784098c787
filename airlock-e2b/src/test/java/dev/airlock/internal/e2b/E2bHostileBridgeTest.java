package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.SandboxPool;
import dev.airlock.internal.cloud.fake.HostileBridgeContract;
import dev.airlock.spi.SandboxBackend;
import org.junit.jupiter.api.Timeout;

/** The guest-controlled bridge, on E2B: redirects, trickles and stops, through the fake's sandbox proxy. */
@Timeout(180)
class E2bHostileBridgeTest extends WithFakeE2b implements HostileBridgeContract {

  @Override
  public SandboxPool preStartedPool() {
    return SandboxPool.builder(testing.config(fake)).minSize(1).maxSize(1)
        .backend("e2b", () -> testing.backend(fake)).build();
  }

  @Override
  public SandboxBackend backend() {
    return testing.backend(fake);
  }

  private FakeE2b.Sandbox onlySandbox() {
    assertThat(fake.live()).hasSize(1);
    return fake.live().get(0);
  }

  @Override
  public String liveSandboxId() {
    return onlySandbox().id;
  }

  @Override
  public void takeOverBridgePort(int localPort) {
    onlySandbox().ports.put(E2bTesting.BRIDGE_PORT, localPort);
  }

  @Override
  public ProcessHandle bridgeProcess() {
    return onlySandbox().processes.values().iterator().next().toHandle();
  }

  @Override
  public boolean killedThroughControlPlane(String sandboxId) {
    return fake.sandboxes.get(sandboxId).killed && fake.apiRequests.stream().anyMatch(r ->
        r.getMethod().equals("DELETE") && r.getUrl().encodedPath().equals("/sandboxes/" + sandboxId));
  }
}
