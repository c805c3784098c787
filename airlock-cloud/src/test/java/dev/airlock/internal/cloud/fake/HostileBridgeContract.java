package dev.airlock.internal.cloud.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.cloud.fake.HostileBridge.Mode;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * The worker bridge runs as the same user as the guest, so guest code can kill it and answer on its port, or stop it
 * with SIGSTOP. Whatever it does, the caller gets its error within the call's timeout plus grace, the host requests
 * nothing but the bridge, and the sandbox is killed through the provider's control plane. A provider's test runs
 * these against its fake by naming where its sandbox's pieces are.
 */
public interface HostileBridgeContract {
  /** The pool's watchdog grace plus room for a loaded machine; still far below any read timeout of the old code. */
  Duration SLACK = Duration.ofSeconds(6);
  Duration CALL_TIMEOUT = Duration.ofSeconds(2);

  /**
   * A pool of at most one worker, kept started ahead of the calls ({@code min-size=1}), on the provider's fake. The
   * attacks take over that worker's sandbox while it waits for its call: cloud workers serve one call each, since the
   * host cannot prove a sandbox idle.
   */
  SandboxPool preStartedPool();

  /** The backend on the provider's fake, as the pool would create it. */
  SandboxBackend backend();

  /** The id of the one sandbox the fake runs. */
  String liveSandboxId();

  /** Routes the bridge port of the fake's one sandbox to {@code localPort}, as guest code listening there would. */
  void takeOverBridgePort(int localPort);

  /** The bridge process of the fake's one sandbox. */
  ProcessHandle bridgeProcess();

  /** Whether the sandbox was killed through the provider's control plane (and is gone). */
  boolean killedThroughControlPlane(String sandboxId);

  @Test
  default void a302FromTheBridgeIsAProtocolErrorAndItsTargetIsNeverRequested() throws Exception {
    redirectIsRefused(Mode.REDIRECT_302);
  }

  @Test
  default void a307FromTheBridgeIsAProtocolErrorAndTheCallIsNeverRePosted() throws Exception {
    redirectIsRefused(Mode.REDIRECT_307);
  }

  private void redirectIsRefused(Mode mode) throws Exception {
    try (MockWebServer target = new MockWebServer()) {
      target.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return new MockResponse.Builder().code(200).body("what the host fetched for the guest").build();
        }
      });
      target.start();
      try (SandboxPool pool = preStartedPool();
          HostileBridge hostile = HostileBridge.start(mode, target.url("/internal/admin").toString())) {
        String id = warm(pool);
        takeOverBridgePort(hostile.port());
        assertThatThrownBy(() -> within(CALL_TIMEOUT.plus(SLACK), () -> pool.call(() -> "x", CALL_TIMEOUT)))
            .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("redirect");
        assertThat(hostile.requests()).anyMatch(line -> line.startsWith("POST ") && line.contains("/frames"));
        assertThat(target.getRequestCount()).as("requests the host sent to the redirect target").isZero();
        awaitKilled(id);
      }
    }
  }

  /**
   * Attack review 36: the guest's bridge redirects the call with a {@code Location} that is a forged host log line.
   * The refusal quoted the header raw (clipped, not escaped) into the caller's {@link SandboxProtocolException}, which
   * applications log: a bare CR, a line separator, a terminal escape and a bidi override reached the host's log.
   */
  @Test
  default void aRedirectsTargetCannotForgeALineOfTheHostsLog() throws Exception {
    try (SandboxPool pool = preStartedPool();
        HostileBridge hostile = HostileBridge.start(Mode.REDIRECT_302, HostileBridge.FORGED_LOCATION)) {
      String id = warm(pool);
      takeOverBridgePort(hostile.port());
      Throwable thrown = catchThrowable(() -> within(CALL_TIMEOUT.plus(SLACK), () -> pool.call(() -> "x",
          CALL_TIMEOUT)));
      assertThat(thrown).isInstanceOf(SandboxProtocolException.class).hasMessageContaining("redirect");
      StringWriter printed = new StringWriter();
      thrown.printStackTrace(new PrintWriter(printed));
      assertThat(printed.toString()).as("the caller's exception, printed").contains("refund approved")
          .doesNotContain("\r", "\u2028", "\u001b", "\u202e");
      awaitKilled(id);
    }
  }

  @Test
  default void aTricklingBridgeHoldsNeitherTheCallerNorThePool() throws Exception {
    try (SandboxPool pool = preStartedPool(); HostileBridge hostile = HostileBridge.start(Mode.TRICKLE, "")) {
      String id = warm(pool);
      takeOverBridgePort(hostile.port());
      assertFailsInTime(pool);
      awaitKilled(id);
      assertThat(within(Duration.ofSeconds(60), () -> pool.call(() -> "next")))
          .as("the next call, in a fresh sandbox").isEqualTo("next");
    }
  }

  @Test
  default void aStoppedBridgeHoldsNeitherTheCallerNorThePool() throws Exception {
    try (SandboxPool pool = preStartedPool()) {
      String id = warm(pool);
      ProcessHandle bridge = bridgeProcess();
      signal("STOP", bridge);
      try {
        assertFailsInTime(pool);
        awaitKilled(id);
        assertThat(within(Duration.ofSeconds(60), () -> pool.call(() -> "next")))
            .as("the next call, in a fresh sandbox").isEqualTo("next");
      } finally {
        if (bridge.isAlive()) {
          signal("CONT", bridge);
        }
      }
    }
  }

  @Test
  default void aBridgeThatHangsUpOnACallCannotHoldTheCallerWithItsAccountOfWhy() throws Exception {
    try (SandboxPool pool = preStartedPool();
        HostileBridge hostile = HostileBridge.start(Mode.HANG_UP_THEN_TRICKLE, "")) {
      String id = warm(pool);
      takeOverBridgePort(hostile.port());
      assertFailsInTime(pool);
      assertThat(hostile.requests()).as("the host asked how the worker ended")
          .anyMatch(line -> line.startsWith("GET /") && line.contains("/workers/"));
      awaitKilled(id);
    }
  }

  /**
   * The bridge's account of how the worker ended is guest text: quoted in the caller's exception, which applications
   * log, it must not start a line of the host's log or carry a terminal escape.
   */
  @Test
  default void aBridgesAccountOfTheWorkersEndCannotForgeALineOfTheHostsLog() throws Exception {
    try (SandboxPool pool = preStartedPool();
        HostileBridge hostile = HostileBridge.start(Mode.HANG_UP_THEN_FORGED_EXIT, "")) {
      String id = warm(pool);
      takeOverBridgePort(hostile.port());
      Throwable thrown = catchThrowable(() -> within(CALL_TIMEOUT.plus(SLACK), () -> pool.call(() -> "x",
          CALL_TIMEOUT)));
      assertThat(thrown).isInstanceOf(SandboxExecutionException.class);
      StringWriter printed = new StringWriter();
      thrown.printStackTrace(new PrintWriter(printed));
      assertThat(printed.toString()).as("the caller's exception, printed").contains("refund approved")
          .doesNotContain("\r", "\u2028", "\u001b", "\u202e");
      assertThat(printed.toString().lines()).noneMatch(line -> line.startsWith("12:00:00.000 [main] INFO"));
      assertThat(thrown.getMessage().length()).as("the caller's message quotes the bridge's account clipped")
          .isLessThan(16_384);
      awaitKilled(id);
    }
  }

  /**
   * Which classpath entries the bridge lacks is guest text too: a sandbox that keeps naming a forged "missing" entry
   * fails the launch, and the failure must not carry the bridge's text into the host's log.
   */
  @Test
  default void aBridgesListOfMissingClasspathEntriesCannotForgeALineOfTheHostsLog() throws Exception {
    try (HostileBridge hostile = HostileBridge.start(Mode.FORGED_MISSING, "")) {
      String printed = launchFailureWith(hostile);
      assertThat(hostile.requests()).as("the host asked the hostile bridge what it lacks")
          .anyMatch(line -> line.startsWith("POST /classpath"));
      assertThat(printed).as("the launch's failure, printed").contains("did not arrive intact")
          .doesNotContain("\r", "\u2028", "\u001b", "\u202e", "refund approved");
    }
  }

  /**
   * Attack review 36: a bridge that starts the worker names it with an {@code Airlock-Worker} header that is a forged
   * host log line; the launch's refusal quoted the header raw.
   */
  @Test
  default void aBridgesWorkerHeaderCannotForgeALineOfTheHostsLog() throws Exception {
    try (HostileBridge hostile = HostileBridge.start(Mode.FORGED_WORKER_HEADER, "")) {
      String printed = launchFailureWith(hostile);
      assertThat(hostile.requests()).as("the host asked the hostile bridge to start a worker")
          .anyMatch(line -> line.startsWith("POST /workers "));
      assertThat(printed).as("the launch's failure, printed").contains("Airlock-Worker", "refund approved")
          .doesNotContain("\r", "\u2028", "\u001b", "\u202e");
    }
  }

  /** Launches a worker whose sandbox's bridge port {@code hostile} takes over, and prints how the launch failed. */
  private String launchFailureWith(HostileBridge hostile) throws Exception {
    SandboxBackend backend = backend();
    CompletableFuture<Object> launch = CompletableFuture.supplyAsync(
        () -> backend.launch(new WorkerSpec(256, Duration.ofSeconds(20))));
    // Held until the launch ends: the fake routes the port to a bridge it starts, and the guest takes it back.
    boolean tookOver = false;
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!launch.isDone() && System.nanoTime() < until) {
      try {
        takeOverBridgePort(hostile.port());
        tookOver = true;
      } catch (AssertionError | RuntimeException noSandboxYet) {
        // Not created yet.
      }
      Thread.sleep(1);
    }
    assertThat(tookOver).as("the backend created a sandbox").isTrue();
    Throwable thrown = catchThrowable(() -> launch.get(30, TimeUnit.SECONDS));
    assertThat(thrown).isNotNull();
    StringWriter printed = new StringWriter();
    thrown.printStackTrace(new PrintWriter(printed));
    return printed.toString();
  }

  /** Without the pool's watchdog: the relay itself ends by the call's deadline plus its grace. */
  @Test
  default void aRelayEndsByItsCallsDeadlineEvenWhenNothingKillsTheWorker() throws Exception {
    try (SandboxBackend backend = backend(); HostileBridge hostile = HostileBridge.start(Mode.TRICKLE, "")) {
      WorkerHandle worker = backend.launch(new WorkerSpec(96, Duration.ofSeconds(60)));
      try {
        FrameReader reader = new FrameReader(worker.input(), 1 << 20);
        assertThat(reader.read().type()).isEqualTo(FrameType.HELLO);
        String id = liveSandboxId();
        takeOverBridgePort(hostile.port());
        new FrameWriter(worker.output()).write(FrameType.INVOKE,
            Messages.invoke(new Messages.Invoke(1, 1000, 1 << 20, new byte[0])));
        Throwable ended = within(Duration.ofSeconds(1).plus(SLACK), () -> {
          try {
            Frame frame = reader.read();
            return new AssertionError("the trickling bridge delivered a whole frame: " + frame.type());
          } catch (IOException | SandboxExecutionException e) {
            return e;
          }
        });
        assertThat(ended).isNotInstanceOf(AssertionError.class);
        assertThat(worker.isAlive()).isFalse();
        worker.kill();
        awaitKilled(id);
      } finally {
        worker.kill();
      }
    }
  }

  /** Waits until the pool's one worker is started and handshaken, and returns its sandbox. */
  private String warm(SandboxPool pool) throws InterruptedException {
    Eventually.await("a pre-started, handshaken worker", Duration.ofSeconds(60), () -> pool.stats().idle() == 1);
    return liveSandboxId();
  }

  private static void assertFailsInTime(SandboxPool pool) {
    long start = System.nanoTime();
    assertThatThrownBy(() -> within(CALL_TIMEOUT.plus(SLACK).plus(SLACK), () -> pool.call(() -> "x", CALL_TIMEOUT)))
        .isInstanceOf(SandboxExecutionException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time until the caller had its error")
        .isLessThan(CALL_TIMEOUT.plus(SLACK));
  }

  private void awaitKilled(String id) throws InterruptedException {
    Eventually.await("sandbox " + id + " killed through the control plane", Duration.ofSeconds(10),
        () -> killedThroughControlPlane(id));
  }

  /** Runs {@code work} and fails the test, instead of hanging it, when it takes longer than {@code bound}. */
  static <T> T within(Duration bound, Callable<T> work) throws Exception {
    ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "bounded-call");
      t.setDaemon(true);
      return t;
    });
    try {
      Future<T> future = runner.submit(work);
      try {
        return future.get(bound.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof Exception cause) {
          throw cause;
        }
        throw e;
      } catch (TimeoutException e) {
        future.cancel(true);
        return fail("still not over after " + bound.toSeconds() + " s");
      }
    } finally {
      runner.shutdownNow();
    }
  }

  private static void signal(String name, ProcessHandle process) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -%s", name).isTrue();
  }
}
