package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxProtocolException;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.security.hostile.ChildJvmBackend;
import dev.airlock.security.hostile.HostileWorker;
import dev.airlock.security.hostile.Lie;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A worker that lies, met by the real pool and session: every lie ends in one clean exception within the timeout,
 * at a bounded cost to the host, without any class of the worker's choosing loaded here, and the pool serves the
 * next call.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileWorkerTest {
  static final Duration TIMEOUT = Duration.ofSeconds(3);
  /** The session's grace before its watchdog kills, plus room for a slow CI machine. */
  static final Duration SLACK = Duration.ofSeconds(5);
  static final int MAX_RESULT_BYTES = 1024 * 1024;
  /** One frame of at most {@link #MAX_RESULT_BYTES}, its decoding, and the call's own bookkeeping. */
  static final long ALLOCATION_BOUND = 16L * 1024 * 1024;
  /** A call whose code declares it returns {@code Object}: any admitted value fits it. */
  static final SandboxCall<Object> ANYTHING = () -> 42;

  static {
    // The endless-log worker floods what the host logs for SandboxCall at info: keep it out of the build output.
    System.setProperty("org.slf4j.simpleLogger.log.dev.airlock.SandboxCall", "warn");
  }

  private ChildJvmBackend backend;
  private SandboxPool pool;

  @BeforeEach
  void startPool() {
    backend = new ChildJvmBackend();
    // Not required: the test backend does not isolate; and whatever a worker does, its call never runs on the host.
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(false).maxResultBytes(MAX_RESULT_BYTES)
        .timeoutSeconds((int) TIMEOUT.toSeconds()).build();
    pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(true).memoryMb(64)
        .backend("child-jvm", () -> backend).build();
    // The backend, and the classpath fingerprint it binds (every jar's manifest read, about 15 MiB here), is made
    // now: a pool's one-time set-up, not what a lie costs the host.
    pool.posture();
  }

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    assertThat(pool.stats().fallbacks()).as("calls run on the host").isZero();
    pool.close();
    for (Process p : backend.processes()) {
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("worker %d exited", p.pid()).isTrue();
    }
    assertThat(Canaries.touchedOnHost()).as("gadget canaries loaded or run on the host").isEmpty();
  }

  @ParameterizedTest
  @EnumSource(value = Lie.class, names = {"ENDLESS_LOG_FRAMES", "FORGED_LOG_LINES", "RESULT_OF_ANOTHER_TYPE",
      "WARM_UP_ANSWERED_WITH_A_RESULT", "WARMED_FOR_ANOTHER_WARM_UP", "WARM_UP_NEVER_ANSWERED"},
      mode = EnumSource.Mode.EXCLUDE)
  void everyLieEndsInOneCleanExceptionAndThePoolServesTheNextCall(Lie lie) throws InterruptedException {
    backend.thenLie(lie);
    long allocatedBefore = HostMemory.allocatedByThisThread();
    long start = System.nanoTime();

    // Declared Object, so each lie is refused for what it is, not for not being an Integer.
    Throwable thrown = catchThrowable(() -> pool.call(ANYTHING));

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    long allocated = HostMemory.allocatedByThisThread() - allocatedBefore;
    assertThat(thrown).as(lie + " gives its exception").isExactlyInstanceOf(lie.expected());
    assertThat(thrown.getMessage()).as("the message names the cause").isNotBlank();
    assertThat(took).as(lie + " ends within the timeout").isLessThan(TIMEOUT.plus(SLACK));
    assertThat(allocated).as(lie + " cost the host %s", HostMemory.mib(allocated)).isLessThan(ALLOCATION_BOUND);
    assertThat(Canaries.touchedOnHost()).isEmpty();
    assertThat(pool.call(() -> 7)).as("the next call, on a fresh worker").isEqualTo(7);
  }

  /**
   * The host asks a pre-started worker to warm up, and reads its answer, before the pool lists it idle: a worker that
   * answers wrong, or not at all, fails its start there. It is killed, never listed idle for a call, and the pool
   * serves the next call on another worker.
   */
  @ParameterizedTest
  @EnumSource(value = Lie.class, names = {"WARM_UP_ANSWERED_WITH_A_RESULT", "WARMED_FOR_ANOTHER_WARM_UP",
      "WARM_UP_NEVER_ANSWERED"})
  void aWorkerThatLiesAboutItsWarmUpIsKilledAndNeverListedIdle(Lie lie) throws InterruptedException {
    assertThat(HostileWorker.liesAboutItsWarmUp(lie)).isTrue();
    pool.close();
    backend = new ChildJvmBackend().thenLie(lie);
    pool = SandboxPool.builder(AirlockConfig.builder().sandboxRequired(false).maxResultBytes(MAX_RESULT_BYTES)
        .timeoutSeconds((int) TIMEOUT.toSeconds()).build()).minSize(1).maxSize(1).reuse(true).memoryMb(64)
        .backend("child-jvm", () -> backend).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (backend.processes().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(backend.processes()).as("the pool pre-started a worker").isNotEmpty();
    Process first = backend.processes().get(0);
    boolean listedIdle = false;
    while (first.isAlive() && System.nanoTime() < deadline) {
      listedIdle |= pool.stats().idle() > 0;
      Thread.sleep(5);
    }
    assertThat(first.isAlive()).as(lie + ": the lying worker was killed").isFalse();
    assertThat(listedIdle).as(lie + ": a worker that lied about its warm-up was listed idle").isFalse();
    assertThat(pool.call(() -> 7)).as("the next call, on an honest worker").isEqualTo(7);
  }

  @Test
  void aResultOfAnotherTypeThanTheCallDeclaresIsRefused() {
    backend.thenLie(Lie.RESULT_OF_ANOTHER_TYPE);

    Throwable thrown = catchThrowable(() -> pool.call(() -> 42));

    assertThat(thrown).isExactlyInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("its declared type is java.lang.Integer");
    assertThat(pool.call(() -> 7)).as("the next call, on a fresh worker").isEqualTo(7);
  }

  @Test
  void aGadgetNamedInAResultIsRefusedByNameBeforeLoading() {
    backend.thenLie(Lie.GADGET_INVOKER_TRANSFORMER);
    assertThat(catchThrowable(() -> pool.call(() -> 42)))
        .hasMessageContaining("org.apache.commons.collections.functors.InvokerTransformer")
        .hasMessageContaining("not on the allowlist");
    backend.thenLie(Lie.GADGET_JDK_TEMPLATES_IMPL);
    assertThat(catchThrowable(() -> pool.call(() -> 42)))
        .hasMessageContaining("com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl");
  }

  @Test
  void endlessLogFramesEndAtTheTimeoutWithoutGrowingTheHeap() {
    long retainedBefore = HostMemory.retainedHeap();
    backend.thenLie(Lie.ENDLESS_LOG_FRAMES);
    long start = System.nanoTime();

    Throwable thrown = catchThrowable(() -> pool.call(() -> 42));

    assertThat(thrown).isExactlyInstanceOf(Lie.ENDLESS_LOG_FRAMES.expected());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plus(SLACK));
    long grown = HostMemory.retainedHeap() - retainedBefore;
    assertThat(grown).as("heap retained after the flood: %s", HostMemory.mib(grown)).isLessThan(ALLOCATION_BOUND);
    assertThat(pool.call(() -> 7)).isEqualTo(7);
  }

  /**
   * Attack review 7: a frame's length is checked against the limit, but its whole body was allocated before a byte
   * of it arrived, so 18 bytes held max-result-bytes of the host's heap (per worker, for the call's whole timeout).
   * The host's allocation follows the bytes that arrive.
   */
  @Test
  void aFrameAnnouncedAtTheLimitAndNeverSentCostsTheHostOnlyWhatArrived() throws InterruptedException {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(false).maxResultBytes(256 * 1024 * 1024)
        .timeoutSeconds((int) TIMEOUT.toSeconds()).build();
    ChildJvmBackend bigLimit = new ChildJvmBackend();
    SandboxPool generous = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).memoryMb(64)
        .backend("child-jvm", () -> bigLimit).build();
    try {
      generous.posture();
      bigLimit.thenLie(Lie.ANNOUNCED_FRAME_NEVER_SENT);
      long allocatedBefore = HostMemory.allocatedByThisThread();

      Throwable thrown = catchThrowable(() -> generous.call(() -> 42));

      long allocated = HostMemory.allocatedByThisThread() - allocatedBefore;
      assertThat(thrown).isExactlyInstanceOf(SandboxTimeoutException.class);
      assertThat(allocated).as("host allocation for a 256 MiB frame of which 13 bytes came: %s",
          HostMemory.mib(allocated)).isLessThan(ALLOCATION_BOUND);
      assertThat(generous.stats().fallbacks()).isZero();
    } finally {
      generous.close();
    }
    for (Process p : bigLimit.processes()) {
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("worker %d exited", p.pid()).isTrue();
    }
  }
}
