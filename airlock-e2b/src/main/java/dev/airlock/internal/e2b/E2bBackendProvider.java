package dev.airlock.internal.e2b;

import dev.airlock.AirlockConfig;
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
 * {@code airlock.backend=e2b}: each worker in an E2B Firecracker sandbox of its own, created from the Airlock
 * template.
 *
 * <pre>{@code
 * E2B_API_KEY=e2b_... java -Dairlock.backend=e2b -jar app.jar
 * }</pre>
 */
public final class E2bBackendProvider implements SandboxBackendProvider {
  /** Bytes of files per upload request: a few requests for a typical classpath, none of them huge. */
  static final long UPLOAD_BATCH_BYTES = 16L * 1024 * 1024;
  static final Duration BRIDGE_GRACE = Duration.ofSeconds(3);

  @Override
  public String name() {
    return "e2b";
  }

  @Override
  public List<String> configKeys() {
    return E2bSettings.KEYS;
  }

  @Override
  public SandboxBackend create(AirlockConfig config) {
    E2bSettings settings = E2bSettings.from(config, System::getenv);
    return create(settings, new HttpCalls(CloudHttp.client(), RetryPolicy.DEFAULT), config.localAnyClasspathFolder(),
        E2bEgress.of(config, settings.internet(), System::getenv));
  }

  static BridgedBackend create(E2bSettings settings, HttpCalls calls) {
    return create(settings, calls, false);
  }

  static BridgedBackend create(E2bSettings settings, HttpCalls calls, boolean anyClasspathFolder) {
    return create(settings, calls, anyClasspathFolder, null);
  }

  /** With the pool's egress ({@code null}: none), sent with every sandbox's create. */
  static BridgedBackend create(E2bSettings settings, HttpCalls calls, boolean anyClasspathFolder, E2bEgress egress) {
    BridgedBackend.Settings bridged = new BridgedBackend.Settings("e2b", settings.home(), settings.bridgeCommand(),
        settings.lifetime(), BRIDGE_GRACE, UPLOAD_BATCH_BYTES, posture(settings, egress), anyClasspathFolder);
    return new BridgedBackend(bridged, new E2bSandboxes(settings, calls, egress), calls);
  }

  static IsolationPosture posture(E2bSettings settings) {
    return posture(settings, null);
  }

  /** With the pool's egress, which E2B's firewall enforces from the create body on ({@code null}: none). */
  static IsolationPosture posture(E2bSettings settings, E2bEgress egress) {
    return new IsolationPosture("e2b", List.of(
        new Control("network", !settings.internet(), settings.internet()
            ? "internet allowed (airlock.e2b.internet=true); no route to the host's network"
            : egress != null ? "denyOut 0.0.0.0/0 except allowOut " + egress.allowOut() + " and each call's own "
                + "hosts, put on its sandbox before it is shipped (E2B's firewall; names on ports 80 and 443 only; "
                + "nothing measured per call); the bridge port is private (traffic token)"
            : "allow_internet_access=false: no outbound internet; the bridge port is private (traffic token)"),
        new Control("filesystem", true, "Firecracker microVM: the host's files are not there; the classpath is "
            + "copied in"),
        new Control("processes", true, "a microVM per worker: no process, file or argument of another call is "
            + "there"),
        new Control("environment", true, "worker environment cleared; API keys stay on the host"),
        new Control("memory", true, "-Xmx, within the worker's own VM memory; OOM kills reported"),
        new Control("pids", true, "bounded by the worker's own VM: a fork bomb exhausts only that sandbox"),
        new Control("cpu", true, "the template's vCPUs, for one worker")));
  }
}
