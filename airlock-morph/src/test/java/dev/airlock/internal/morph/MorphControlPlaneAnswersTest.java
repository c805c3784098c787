package dev.airlock.internal.morph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.cloud.CloudHttp;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.RetryPolicy;
import java.time.Duration;
import java.util.Map;
import mockwebserver3.MockResponse;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Attack review 28: a hostile or compromised Morph API, through the size and text of its answers. */
@Timeout(60)
class MorphControlPlaneAnswersTest extends WithFakeMorph {

  private MorphSettings settings() {
    return MorphSettings.from(config().build(), name -> null).withReadyPoll(Duration.ofMillis(50));
  }

  private static HttpCalls calls() {
    return new HttpCalls(CloudHttp.client(), RetryPolicy.DEFAULT.withSleeper(wait -> { }));
  }

  private MorphApi api() {
    return new MorphApi(settings(), calls());
  }

  private static dev.airlock.internal.cloud.BridgedBackend backend(MorphSettings settings) {
    return MorphBackendProvider.create(settings, calls());
  }

  private static boolean startRequest(mockwebserver3.RecordedRequest request) {
    return request.getMethod().equals("POST") && request.getUrl().encodedPath().equals("/instance");
  }

  /** An instance start answered with 48 MiB was read whole into the host's heap, then parsed. */
  @Test
  void anAnswerIsReadOnlyUpToItsBound() {
    fake.script(MorphControlPlaneAnswersTest::startRequest, new MockResponse.Builder().code(200)
        .body(new Buffer().writeUtf8(" ".repeat(48 << 20)).writeUtf8("{\"id\":\"morphvm_big\"}")).build());
    Throwable refused = catchThrowable(() -> api().start(Map.of(), Duration.ofSeconds(60),
        System.nanoTime() + Duration.ofSeconds(30).toNanos()));
    assertThat(refused).isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("more than");
  }

  /**
   * Morph's error text (its {@code detail}) was quoted raw into the exception an application logs: a CR LF and a
   * forged log line, an ANSI escape and a bidi override from the control plane reached the host's log.
   */
  @Test
  void theControlPlanesErrorTextIsQuotedEscaped() {
    fake.script(MorphControlPlaneAnswersTest::startRequest, new MockResponse.Builder().code(500)
        .setHeader("Content-Type", "application/json")
        .body("{\"detail\":\"boom\\r\\n12:00:00.000 [main] ERROR dev.airlock.Audit - forged \\u001b[31m\\u202e\"}")
        .build());
    Throwable refused = catchThrowable(() -> api().start(Map.of(), Duration.ofSeconds(60),
        System.nanoTime() + Duration.ofSeconds(30).toNanos()));
    assertThat(refused).isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("forged");
    assertThat(refused.getMessage()).doesNotContain("\r", "\n", "\u001b", "\u202e");
  }

  /**
   * Morph answers the {@code exec} that starts the bridge one byte every 50 s: under a 60 s read timeout per read and
   * no deadline, the launch, on the caller's thread, waited for as long as Morph dripped.
   */
  @Test
  void aTrickledExecCannotHoldTheLaunchPastItsDeadline() {
    fake.snapshotRunsBridge = false;
    fake.script(r -> r.getMethod().equals("POST") && r.getUrl().encodedPath().endsWith("/exec"),
        new MockResponse.Builder().code(200).body("{\"exit_code\":0,\"stdout\":\"\",\"stderr\":\"\"}")
            .throttleBody(1, 50, java.util.concurrent.TimeUnit.SECONDS).build());
    dev.airlock.internal.cloud.BridgedBackend backend = backend(settings().withBridgeCommand(
        java.util.List.of("/bin/true")));
    try {
      long started = System.nanoTime();
      java.util.concurrent.CompletableFuture<?> launch = java.util.concurrent.CompletableFuture.runAsync(
          () -> backend.launch(new dev.airlock.spi.WorkerSpec(96, Duration.ofSeconds(10))));
      Throwable failed = catchThrowable(() -> launch.get(25, java.util.concurrent.TimeUnit.SECONDS));
      assertThat(failed).as("the launch, 25 s after a 10 s start timeout")
          .isInstanceOf(java.util.concurrent.ExecutionException.class)
          .hasCauseInstanceOf(SandboxUnavailableException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(13));
      assertThat(fake.running()).as("instances still running after the failed launch").isEmpty();
    } finally {
      backend.close();
    }
  }

  /**
   * Attack review 36: the instance's SFTP server (root in the VM) takes the first write of the launch, the bridge's
   * token, and never acknowledges it. Only the SSH connection and its authentication ended by the launch's deadline;
   * the SFTP session and its writes had MINA's own timeouts, so the launch, on the caller's thread, waited past its
   * call's timeout.
   */
  @Test
  void anSftpServerThatNeverAcknowledgesAWriteCannotHoldTheLaunchPastItsDeadline() {
    fake.sftpWrites = FakeMorph.SftpWrites.HANG;
    dev.airlock.internal.cloud.BridgedBackend backend = backend(settings());
    try {
      long started = System.nanoTime();
      java.util.concurrent.CompletableFuture<?> launch = java.util.concurrent.CompletableFuture.runAsync(
          () -> backend.launch(new dev.airlock.spi.WorkerSpec(96, Duration.ofSeconds(5))));
      Throwable failed = catchThrowable(() -> launch.get(25, java.util.concurrent.TimeUnit.SECONDS));
      assertThat(failed).as("the launch, 25 s after a 5 s start timeout")
          .isInstanceOf(java.util.concurrent.ExecutionException.class)
          .hasCauseInstanceOf(SandboxUnavailableException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
      assertThat(fake.running()).as("instances still running after the failed launch").isEmpty();
      assertThat(printed(failed)).as("the launch's failure, printed").doesNotContain(FakeMorph.API_KEY);
    } finally {
      backend.close();
    }
  }

  /**
   * Attack review 36: the instance's SFTP server drops the SSH session on the first write. MINA names a session by
   * its user name, which carries the API key; the launch's failure, which applications log, must not.
   */
  @Test
  void anSftpServerThatDropsTheSessionLeavesNoApiKeyInTheLaunchsFailure() {
    fake.sftpWrites = FakeMorph.SftpWrites.DROP_SESSION;
    dev.airlock.internal.cloud.BridgedBackend backend = backend(settings());
    try {
      Throwable failed = catchThrowable(() -> backend.launch(new dev.airlock.spi.WorkerSpec(96,
          Duration.ofSeconds(10))));
      assertThat(failed).isInstanceOf(SandboxUnavailableException.class);
      assertThat(printed(failed)).as("the launch's failure, printed").doesNotContain(FakeMorph.API_KEY);
      assertThat(fake.running()).as("instances still running after the failed launch").isEmpty();
    } finally {
      backend.close();
    }
  }

  private static String printed(Throwable thrown) {
    java.io.StringWriter out = new java.io.StringWriter();
    thrown.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }
}
