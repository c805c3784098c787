package dev.airlock.internal.morph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.SandboxPool;
import dev.airlock.internal.cloud.BridgedBackend;
import dev.airlock.internal.cloud.CloudHttp;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.RetryPolicy;
import dev.airlock.internal.cloud.fake.HostileBridgeContract;
import dev.airlock.internal.cloud.fake.LocalBridge;
import dev.airlock.spi.SandboxBackend;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Timeout;

/** The guest-controlled bridge, on Morph: redirects, trickles and stops, through the fake's exposed service. */
@Timeout(180)
class MorphHostileBridgeTest extends WithFakeMorph implements HostileBridgeContract {

  @Override
  public BridgedBackend backend() {
    MorphSettings settings = MorphSettings.from(config().build(), name -> null)
        .withBridgeCommand(LocalBridge.command(BRIDGE_PORT, Path.of(FakeMorph.HOME)))
        .withReadyPoll(Duration.ofMillis(50));
    return MorphBackendProvider.create(settings, new HttpCalls(CloudHttp.client(), RetryPolicy.DEFAULT));
  }

  @Override
  public SandboxPool preStartedPool() {
    return SandboxPool.builder(config().build()).minSize(1).maxSize(1).backend("morph", this::backend).build();
  }

  private FakeMorph.Instance onlyInstance() {
    assertThat(fake.running()).hasSize(1);
    return fake.running().get(0);
  }

  @Override
  public String liveSandboxId() {
    return onlyInstance().id;
  }

  @Override
  public void takeOverBridgePort(int localPort) {
    onlyInstance().ports.put(BRIDGE_PORT, localPort);
  }

  @Override
  public ProcessHandle bridgeProcess() {
    return onlyInstance().processes.get(0).toHandle();
  }

  @Override
  public boolean killedThroughControlPlane(String instanceId) {
    return fake.instances.get(instanceId).stopped && fake.apiRequests.stream().anyMatch(r ->
        r.getMethod().equals("DELETE") && r.getUrl().encodedPath().equals("/instance/" + instanceId));
  }
}
