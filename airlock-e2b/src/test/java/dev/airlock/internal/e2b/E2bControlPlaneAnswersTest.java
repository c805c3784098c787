package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.cloud.BridgedBackend;
import dev.airlock.spi.WorkerSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 28: a hostile or compromised control plane or envd, through the answers it sends (their timing, size
 * and content), against the launch that asked.
 */
@Timeout(120)
class E2bControlPlaneAnswersTest extends WithFakeE2b {

  /**
   * envd answers the bridge's {@code process.Process/Start} with its headers and then nothing: the stream has no read
   * timeout (it follows a long-lived process), so the launch, on the caller's thread, waited for its start event for
   * good, past the call's timeout, and its sandbox was extended all that while.
   */
  @Test
  void anEnvdThatStallsTheBridgesStartCannotHoldTheLaunchPastItsDeadline() throws Exception {
    fake.templateRunsBridge = false;
    byte[] start = ConnectEnvelopes.envelope("{\"event\":{\"start\":{\"pid\":7}}}".getBytes(StandardCharsets.UTF_8));
    fake.script(fake.proxy, FakeE2b.request("POST", "/process.Process/Start"), new MockResponse.Builder().code(200)
        .setHeader("Content-Type", "application/connect+json").body(new Buffer().write(start))
        .throttleBody(1, 60, TimeUnit.SECONDS).build());
    BridgedBackend backend = testing.backend(fake);
    try {
      long started = System.nanoTime();
      CompletableFuture<?> launch = CompletableFuture.runAsync(
          () -> backend.launch(new WorkerSpec(96, Duration.ofSeconds(6))));
      assertThatThrownBy(() -> launch.get(20, TimeUnit.SECONDS)).as("the launch, 20 s after a 6 s start timeout")
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SandboxUnavailableException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(9));
      assertThat(fake.live()).as("sandboxes still running after the failed launch").isEmpty();
    } finally {
      backend.close();
    }
  }
}
