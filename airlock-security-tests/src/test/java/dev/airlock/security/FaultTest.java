package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.IsolationPosture;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.local.LocalBackend;
import dev.airlock.security.hostile.ChildJvmBackend;
import dev.airlock.security.hostile.Lie;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Faults from the host's side: workers killed at every stage, the pool closed under load, the backend gone. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FaultTest {
  private static final AirlockConfig LOCAL = AirlockConfig.builder().backend("local")
      .localIsolation(AirlockConfig.LocalIsolation.STRICT).sandboxRequired(true).timeoutSeconds(30).memoryMb(96)
      .build();
  /** Far below the call's 30 s timeout: a fault must be reported, not waited out. */
  private static final Duration PROMPTLY = Duration.ofSeconds(10);

  private final ExecutorService callers = Executors.newCachedThreadPool();
  private final List<SandboxPool> pools = new ArrayList<>();

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    pools.forEach(SandboxPool::close);
    callers.shutdownNow();
    assertThat(callers.awaitTermination(10, TimeUnit.SECONDS)).as("every caller returned").isTrue();
    awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), Duration.ofSeconds(10));
    assertThat(WorkerProcesses.descendants()).isEmpty();
  }

  private SandboxPool pool(SandboxPool.Builder builder) {
    SandboxPool pool = builder.build();
    pools.add(pool);
    return pool;
  }

  @Test
  void aWorkerKilledMidCallIsACrashAndTheNextCallRuns() throws Exception {
    SandboxPool pool = pool(SandboxPool.builder(LOCAL).minSize(0).maxSize(1));
    Future<Integer> call = callers.submit(() -> pool.call(FaultTest::sleepThenOne));
    awaitTrue(() -> pool.stats().active() == 1 && WorkerProcesses.workerJvms().size() == 1, PROMPTLY);
    Thread.sleep(500); // the INVOKE is on its way or being run

    WorkerProcesses.workerJvms().forEach(ProcessHandle::destroyForcibly);

    assertThat(failureOf(call)).isInstanceOf(SandboxCrashedException.class).hasMessageContaining("signal 9");
    assertThat(pool.call(() -> 3)).isEqualTo(3);
  }

  @Test
  void aWorkerKilledMidHandshakeFailsTheCallPromptly() throws Exception {
    ChildJvmBackend backend = new ChildJvmBackend().thenLie(Lie.SILENT_HANDSHAKE);
    // Not required: the test backend does not isolate, and a failed handshake must not fall back to the host anyway.
    AirlockConfig notRequired = LOCAL.toBuilder().sandboxRequired(false).build();
    SandboxPool pool = pool(SandboxPool.builder(notRequired).backend("child-jvm", () -> backend).minSize(0)
        .maxSize(1));
    long start = System.nanoTime();
    Future<Integer> call = callers.submit(() -> pool.call(() -> 1));
    awaitTrue(() -> !backend.processes().isEmpty(), PROMPTLY);
    Thread.sleep(300); // connected, waiting for a HELLO that will not come

    backend.processes().forEach(Process::destroyForcibly);

    // On a loaded machine the child may not have connected yet when it dies: either way the call fails promptly.
    assertThat(failureOf(call)).isInstanceOf(SandboxCrashedException.class)
        .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("handshake", "did not connect", "exited"));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PROMPTLY);
    assertThat(pool.call(() -> 4)).isEqualTo(4);
    assertThat(pool.stats().fallbacks()).as("the failed worker's call did not run on the host").isZero();
  }

  @Test
  void aWorkerKilledWhileIdleIsReplacedWithoutFailingACall() throws Exception {
    SandboxPool pool = pool(SandboxPool.builder(LOCAL).minSize(1).maxSize(1).reuse(true));
    awaitTrue(() -> pool.stats().idle() == 1, Duration.ofSeconds(30));

    WorkerProcesses.workerJvms().forEach(ProcessHandle::destroyForcibly);
    // Until its sandbox wrapper has exited too, the worker looks alive: a call taking it in those milliseconds
    // fails as a crash (it is not re-run). Once the tree is gone, the pool must notice and start another.
    awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), PROMPTLY);

    assertThat(pool.call(() -> 5)).isEqualTo(5);
    assertThat(pool.stats().workersStarted()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void closingThePoolFailsEveryCallInFlightOrWaitingAndNoneHangs() throws Exception {
    SandboxPool pool = pool(SandboxPool.builder(LOCAL).minSize(0).maxSize(2));
    List<Future<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      calls.add(callers.submit(() -> pool.call(FaultTest::sleepThenOne)));
    }
    awaitTrue(() -> pool.stats().active() == 2, Duration.ofSeconds(30));
    Thread.sleep(300);

    pool.close();

    for (Future<Integer> call : calls) {
      assertThat(failureOf(call)).isInstanceOf(SandboxExecutionException.class).hasMessageContaining("closed");
    }
  }

  @Test
  void aBackendThatCannotBeCreatedIsRetriedAndThePoolRecovers() throws Exception {
    AtomicBoolean down = new AtomicBoolean(true);
    SandboxPool pool = pool(SandboxPool.builder(LOCAL).minSize(0).maxSize(1).backend("flaky", () -> {
      if (down.get()) {
        throw new SandboxUnavailableException("the test took the backend down");
      }
      return new LocalBackend(LOCAL);
    }));
    assertThat(catchThrowable(() -> pool.call(() -> 6))).isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("took the backend down");

    down.set(false);

    assertThat(eventually(pool, Duration.ofSeconds(30))).isEqualTo(6);
  }

  @Test
  void aBackendThatStopsLaunchingRecoversWithoutARestart() throws Exception {
    SwitchableBackend backend = new SwitchableBackend(new LocalBackend(LOCAL));
    SandboxPool pool = pool(SandboxPool.builder(LOCAL).minSize(0).maxSize(1).backend("switchable", () -> backend));
    assertThat(pool.call(() -> 6)).isEqualTo(6);

    backend.down.set(true);
    // A backend that exists but fails to launch one worker fails the call; only a backend that cannot be had at all
    // is "unavailable" (see NoGuestInducedFallbackTest).
    assertThat(catchThrowable(() -> pool.call(() -> 6))).isInstanceOf(SandboxCrashedException.class)
        .hasMessageContaining("switched launching off");
    backend.down.set(false);

    assertThat(eventually(pool, Duration.ofSeconds(30))).isEqualTo(6);
  }

  static int sleepThenOne() throws InterruptedException {
    Thread.sleep(25_000);
    return 1;
  }

  private static int eventually(SandboxPool pool, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      try {
        return pool.call(() -> 6);
      } catch (SandboxUnavailableException | SandboxCrashedException stillDown) {
        if (System.nanoTime() > deadline) {
          throw stillDown;
        }
        Thread.sleep(250);
      }
    }
  }

  private static Throwable failureOf(Future<?> call) throws InterruptedException {
    try {
      call.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
      throw new AssertionError("the call succeeded");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the call hung for " + PROMPTLY, e);
    }
  }

  static void awaitTrue(BooleanSupplier condition, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  /** A real backend whose launches can be switched off, as when a daemon or a cloud API goes away. */
  static final class SwitchableBackend implements SandboxBackend {
    final AtomicBoolean down = new AtomicBoolean();
    private final SandboxBackend delegate;

    SwitchableBackend(SandboxBackend delegate) {
      this.delegate = delegate;
    }

    @Override
    public String name() {
      return "switchable";
    }

    @Override
    public IsolationPosture posture() {
      return delegate.posture();
    }

    @Override
    public WorkerHandle launch(WorkerSpec spec) {
      if (down.get()) {
        throw new SandboxUnavailableException("the test switched launching off");
      }
      return delegate.launch(spec);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
