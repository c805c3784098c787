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
    aLaunchOfSixSecondsFailsInTimeAndLeavesNoSandbox();
  }

  /**
   * envd answers the token's upload ({@code POST /files}) one byte a minute: each read had OkHttp's 60 s read timeout
   * and the request no deadline, so the launch, on the caller's thread, waited for as long as envd dripped.
   */
  @Test
  void anEnvdThatTricklesAnUploadsAnswerCannotHoldTheLaunchPastItsDeadline() throws Exception {
    fake.script(fake.proxy, FakeE2b.request("POST", "/files"), new MockResponse.Builder().code(200)
        .body("[{\"path\":\"/home/user/airlock/token\",\"name\":\"token\",\"type\":\"file\"}]")
        .throttleBody(1, 50, TimeUnit.SECONDS).build());
    aLaunchOfSixSecondsFailsInTimeAndLeavesNoSandbox();
  }

  /**
   * Attack review 36: envd opens the bridge's process stream with a message that is no start event, 3 MiB of text
   * around a forged host log line, a terminal escape and a bidi override. The launch's error quoted the message whole
   * and raw (JSON's escaping leaves the bidi override and the line separator as they are).
   */
  @Test
  void envdsTextInAFailedBridgeStartIsQuotedEscapedAndClipped() {
    fake.templateRunsBridge = false;
    // JSON-escaped: the message, once parsed, holds the characters themselves.
    String forged = "\\u2028 12:00:00.000 [main] INFO com.acme.Billing - refund approved \\u001b[2K\\u202e"
        + "x".repeat(3 << 20);
    byte[] notAStart = ConnectEnvelopes.envelope(("{\"event\":{\"keepalive\":{}},\"note\":\"" + forged + "\"}")
        .getBytes(StandardCharsets.UTF_8));
    fake.script(fake.proxy, FakeE2b.request("POST", "/process.Process/Start"), new MockResponse.Builder().code(200)
        .setHeader("Content-Type", "application/connect+json").body(new Buffer().write(notAStart)).build());
    BridgedBackend backend = testing.backend(fake);
    try {
      Throwable failed = org.assertj.core.api.Assertions.catchThrowable(
          () -> backend.launch(new WorkerSpec(96, Duration.ofSeconds(20))));
      assertThat(failed).isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("start event")
          .hasMessageContaining("refund approved");
      assertThat(failed.getMessage()).doesNotContain("\u2028", "\u001b", "\u202e");
      assertThat(failed.getMessage().length()).as("characters of the launch's error").isLessThan(16_384);
      assertThat(fake.live()).as("sandboxes still running after the failed launch").isEmpty();
    } finally {
      backend.close();
    }
  }

  private void aLaunchOfSixSecondsFailsInTimeAndLeavesNoSandbox() {
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

  /**
   * A creation answered 201 with a usable sandbox id but an access token that is no header value: the client refused
   * the answer, and the sandbox it names, created and billed, was never killed (it ran out its lifetime).
   */
  @Test
  void aCreationAnswerTheClientRefusesStillHasItsSandboxKilled() {
    String id = "iorphan0000000000000001";
    fake.script(fake.api, FakeE2b.request("POST", "/sandboxes"), new MockResponse.Builder().code(201)
        .setHeader("Content-Type", "application/json").body("{\"sandboxID\":\"" + id + "\",\"templateID\":\"t\","
            + "\"envdVersion\":\"0.6.13\",\"envdAccessToken\":\"token with spaces\",\"trafficAccessToken\":\"t\"}")
        .build());
    E2bApi api = new E2bApi(testing.settings(testing.config(fake)), testing.calls());

    assertThatThrownBy(() -> api.create(java.util.Map.of(), Duration.ofSeconds(60)))
        .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("envdAccessToken");
    assertThat(fake.apiRequests).as("requests after the refused answer")
        .anySatisfy(r -> assertThat(r.getMethod() + " " + r.getUrl().encodedPath())
            .isEqualTo("DELETE /sandboxes/" + id));
  }

  /**
   * The control plane answers a creation, or a page of the sandbox list, with 48 MiB: it was read whole into the
   * heap (and the list's page parsed), however big, and a listing followed up to 100 pages of any size.
   */
  @Test
  void controlPlaneAnswersAreReadOnlyUpToTheirBound() throws Exception {
    E2bApi api = new E2bApi(testing.settings(testing.config(fake)), testing.calls());
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    // A first creation, so that what is measured is the answer and not the client's first use.
    api.kill(api.create(java.util.Map.of(), Duration.ofSeconds(60)).sandboxId());
    fake.script(fake.api, FakeE2b.request("POST", "/sandboxes"), new MockResponse.Builder().code(201)
        .body(new Buffer().writeUtf8(" ".repeat(48 << 20)).writeUtf8("{\"sandboxID\":\"ibig1\"}")).build());
    long before = threads.getCurrentThreadAllocatedBytes();
    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
        () -> api.create(java.util.Map.of(), Duration.ofSeconds(60)));
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated).as("bytes the host allocated for one creation answer").isLessThan(8L << 20);
    assertThat(refused).isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("more than");

    fake.script(fake.api, FakeE2b.request("GET", "/v2/sandboxes"), new MockResponse.Builder().code(200)
        .body(new Buffer().writeUtf8("[" + " ".repeat(48 << 20) + "]")).build());
    assertThatThrownBy(() -> api.list(java.util.Map.of("airlock-host", "h")))
        .isInstanceOf(java.io.IOException.class).hasMessageContaining("more than");

    // The pages of one listing share the bound: five of 3.5 MiB each, every one naming a next page.
    for (int i = 0; i < 5; i++) {
      fake.script(fake.api, FakeE2b.request("GET", "/v2/sandboxes"), new MockResponse.Builder().code(200)
          .setHeader("X-Next-Token", "p" + i).body(new Buffer().writeUtf8("[" + " ".repeat(7 << 19) + "]")).build());
    }
    assertThatThrownBy(() -> api.list(java.util.Map.of("airlock-host", "h")))
        .isInstanceOf(java.io.IOException.class).hasMessageContaining("all pages");
  }

  /**
   * E2B's error text was quoted raw into the exception an application logs: a CR LF and a forged log line, an ANSI
   * escape and a bidi override from the control plane reached the host's log.
   */
  @Test
  void theControlPlanesErrorTextIsQuotedEscaped() {
    fake.script(fake.api, FakeE2b.request("POST", "/sandboxes"), new MockResponse.Builder().code(500)
        .setHeader("Content-Type", "application/json").body("{\"code\":500,\"message\":\"boom\\r\\n12:00:00.000 [main] "
            + "ERROR dev.airlock.Audit - forged \\u001b[31m\\u202e\"}").build());
    E2bApi api = new E2bApi(testing.settings(testing.config(fake)), testing.calls());

    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
        () -> api.create(java.util.Map.of(), Duration.ofSeconds(60)));
    assertThat(refused).isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("forged");
    assertThat(refused.getMessage()).doesNotContain("\r", "\n", "\u001b", "\u202e");
  }
}
