package dev.airlock.internal.morph;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.IsolationPosture;
import dev.airlock.internal.cloud.BridgedBackend;
import dev.airlock.internal.cloud.CloudHttp;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.RetryPolicy;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.SandboxBackendProvider;
import java.time.Duration;
import java.util.List;

/**
 * {@code airlock.backend=morph}: each worker in a Morph Cloud instance of its own, started from the Airlock
 * snapshot.
 *
 * <pre>{@code
 * MORPH_API_KEY=... java -Dairlock.backend=morph -Dairlock.morph.snapshot=snapshot_abc -jar app.jar
 * }</pre>
 */
public final class MorphBackendProvider implements SandboxBackendProvider {
  static final long UPLOAD_BATCH_BYTES = 64L * 1024 * 1024;
  static final Duration BRIDGE_GRACE = Duration.ofSeconds(3);

  @Override
  public String name() {
    return "morph";
  }

  @Override
  public List<String> configKeys() {
    return MorphSettings.KEYS;
  }

  @Override
  public SandboxBackend create(AirlockConfig config) {
    if (!EgressSettings.of(config).secrets().isEmpty()) {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + AirlockConfig.EGRESS_SECRETS_PREFIX
          + "* is set, but Morph instances have the whole internet and no egress proxy, so a secret could not be kept "
          + "from them; use the local, docker or e2b backend for tools that need secrets (docs/egress.md)");
    }
    return create(MorphSettings.from(config, System::getenv),
        new HttpCalls(CloudHttp.client(), RetryPolicy.DEFAULT),
        config.localAnyClasspathFolder());
  }

  static BridgedBackend create(MorphSettings settings, HttpCalls calls) {
    return create(settings, calls, false);
  }

  static BridgedBackend create(MorphSettings settings, HttpCalls calls, boolean anyClasspathFolder) {
    BridgedBackend.Settings bridged = new BridgedBackend.Settings("morph", settings.home(),
        settings.bridgeCommand(), settings.lifetime(), BRIDGE_GRACE, UPLOAD_BATCH_BYTES, posture(), anyClasspathFolder);
    return new BridgedBackend(bridged, new MorphInstances(settings, calls), calls);
  }

  static IsolationPosture posture() {
    return new IsolationPosture("morph", List.of(
        new Control("network", false, "the instance has outbound internet (Morph does not close it); no route to "
            + "the host's network"),
        new Control("filesystem", true, "Morph VM: the host's files are not there; the classpath is copied in"),
        new Control("processes", true, "a VM per worker: no process, file or argument of another call is there"),
        new Control("environment", true, "worker environment cleared; API keys stay on the host and the SSH gateway"),
        new Control("memory", true, "-Xmx, within the worker's own VM memory; OOM kills reported"),
        new Control("pids", true, "bounded by the worker's own VM: a fork bomb exhausts only that instance"),
        new Control("cpu", true, "the snapshot's vCPUs, for one worker")));
  }
}
