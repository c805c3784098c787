package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.PoolExhaustedException;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.security.hostile.ChildJvmBackend;
import dev.airlock.security.hostile.Lie;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14 item 4: nothing a guest (or a busy host) can influence turns a call into a host call. Only a backend that
 * cannot be had at all lets a call that is not required run on the host; one worker that fails to launch or to
 * handshake fails its call. A required call needs an isolating backend. Every call here would answer "host" if it
 * ran on the host.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NoGuestInducedFallbackTest {
  private static final AirlockConfig NOT_REQUIRED = AirlockConfig.builder().sandboxRequired(false)
      .timeoutSeconds(10).build();

  private final ExecutorService callers = Executors.newCachedThreadPool();
  private final List<SandboxPool> pools = new ArrayList<>();

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    pools.forEach(SandboxPool::close);
    callers.shutdownNow();
    assertThat(callers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    FaultTest.awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), java.time.Duration.ofSeconds(10));
    assertThat(WorkerProcesses.descendants()).isEmpty();
  }

  private SandboxPool pool(SandboxPool.Builder builder) {
    SandboxPool pool = builder.build();
    pools.add(pool);
    return pool;
  }

  static String where() {
    return AirlockRuntime.isSandboxed() ? "sandbox" : "host";
  }

  @Test
  void aWorkerThatFailsItsHandshakeFailsItsCallInsteadOfRunningItOnTheHost() {
    ChildJvmBackend backend = new ChildJvmBackend().thenLie(Lie.WRONG_PROTOCOL_VERSION);
    SandboxPool pool = pool(SandboxPool.builder(NOT_REQUIRED).minSize(0).maxSize(1)
        .backend("child-jvm", () -> backend));

    Throwable thrown = catchThrowable(() -> pool.call(NoGuestInducedFallbackTest::where));

    assertThat(thrown).isExactlyInstanceOf(SandboxCrashedException.class).hasMessageContaining("protocol");
    assertThat(pool.stats().fallbacks()).isZero();
    assertThat(pool.call(NoGuestInducedFallbackTest::where)).isEqualTo("sandbox");
  }

  @Test
  void aBackendThatFailsToLaunchOneWorkerFailsTheCallInsteadOfRunningItOnTheHost() {
    // As when a guest exhausted something workers share: the backend is there, one more worker is not.
    FaultTest.SwitchableBackend backend = new FaultTest.SwitchableBackend(new ChildJvmBackend());
    backend.down.set(true);
    SandboxPool pool = pool(SandboxPool.builder(NOT_REQUIRED).minSize(0).maxSize(1)
        .backend("switchable", () -> backend));

    Throwable thrown = catchThrowable(() -> pool.call(NoGuestInducedFallbackTest::where));

    assertThat(thrown).isExactlyInstanceOf(SandboxCrashedException.class)
        .hasMessageContaining("switched launching off");
    assertThat(pool.stats().fallbacks()).isZero();
  }

  @Test
  void aBackendThatCannotBeCreatedIsTheOneCaseThatFallsBack() {
    SandboxPool pool = pool(SandboxPool.builder(NOT_REQUIRED).minSize(0).maxSize(1).backend("gone", () -> {
      throw new SandboxUnavailableException("the engine does not answer");
    }));

    assertThat(pool.call(NoGuestInducedFallbackTest::where)).isEqualTo("host");
    assertThat(pool.stats().fallbacks()).isEqualTo(1);
  }

  @Test
  void aGuestHoldingEveryWorkerBusyExhaustsThePoolButNeverMovesACallToTheHost() throws Exception {
    ChildJvmBackend backend = new ChildJvmBackend().thenLie(Lie.NO_ANSWER);
    SandboxPool pool = pool(SandboxPool.builder(NOT_REQUIRED).minSize(0).maxSize(1)
        .backend("child-jvm", () -> backend));
    Future<String> holder = callers.submit(() -> pool.call(NoGuestInducedFallbackTest::where));
    FaultTest.awaitTrue(() -> pool.stats().active() == 1, java.time.Duration.ofSeconds(30));

    Throwable thrown = catchThrowable(() -> pool.call(NoGuestInducedFallbackTest::where,
        java.time.Duration.ofSeconds(2)));

    assertThat(thrown).isExactlyInstanceOf(PoolExhaustedException.class)
        .isNotInstanceOf(SandboxUnavailableException.class).hasMessageContaining("airlock.pool.max-size");
    assertThat(catchThrowable(() -> holder.get(30, TimeUnit.SECONDS))).hasCauseInstanceOf(
        SandboxExecutionException.class);
    assertThat(pool.stats().fallbacks()).isZero();
  }

  @Test
  void callsWaitingForAWorkerWhenThePoolClosesAreNotRunOnTheHost() throws Exception {
    ChildJvmBackend backend = new ChildJvmBackend().thenLie(Lie.NO_ANSWER);
    SandboxPool pool = pool(SandboxPool.builder(NOT_REQUIRED.toBuilder().timeoutSeconds(60).build()).minSize(0)
        .maxSize(1).backend("child-jvm", () -> backend));
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      calls.add(callers.submit(() -> pool.call(NoGuestInducedFallbackTest::where)));
    }
    FaultTest.awaitTrue(() -> pool.stats().active() == 1, java.time.Duration.ofSeconds(30));
    Thread.sleep(300);

    pool.close();

    for (Future<String> call : calls) {
      Throwable thrown = catchThrowable(() -> call.get(20, TimeUnit.SECONDS));
      assertThat(thrown).as("a call in flight or waiting when the pool closed").hasCauseInstanceOf(
          SandboxExecutionException.class).cause().isNotInstanceOf(SandboxUnavailableException.class)
          .hasMessageContaining("closed");
    }
    assertThat(pool.stats().fallbacks()).isZero();
  }

  @Test
  void aRequiredCallIsRefusedByABackendThatDoesNotIsolate() {
    AirlockConfig none = AirlockConfig.builder().backend("local").localIsolation(AirlockConfig.LocalIsolation.NONE)
        .timeoutSeconds(30).build();
    SandboxPool required = pool(SandboxPool.builder(none.toBuilder().sandboxRequired(true).build()).minSize(0)
        .maxSize(1));

    Throwable thrown = catchThrowable(() -> required.call(NoGuestInducedFallbackTest::where));

    assertThat(thrown).isExactlyInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("does not isolate").hasMessageContaining("bubblewrap")
        .hasMessageContaining("airlock.backend=docker");
    assertThat(required.stats().fallbacks()).isZero();
    SandboxPool optional = pool(SandboxPool.builder(none).minSize(0).maxSize(1));
    assertThat(optional.call(NoGuestInducedFallbackTest::where)).as("not required: runs, unisolated, in a worker")
        .isEqualTo("sandbox");
  }

  /**
   * As a non-root user without writable cgroups, the pids limit used to be {@code prlimit --nproc}, which counts every
   * thread of the user, the host's own included: a host (or an earlier call) holding more threads than the limit made
   * every worker fail to fork, and the call ran on the host. Now the limit is set inside the worker's user namespace,
   * and the host's threads cannot stop a worker; whatever happens, the call never runs on the host.
   */
  @Test
  void asNonRootAHostHoldingManyThreadsNeverTurnsACallIntoAHostCall() throws Exception {
    String output = NonRootJvm.run(NonRootProbe.class);

    // No prlimit --nproc outside any more (it counted the host user's threads); the limit is set inside the worker's
    // own user namespace, where the host's threads do not count, so the worker starts; had it failed, the call would
    // be a SandboxCrashedException. Either way it is never a host call.
    assertThat(output).as(output).contains("POSTURE pids enforced measured: RLIMIT_NPROC=32 set inside")
        .doesNotContain("prlimit")
        .containsPattern("OUTCOME (sandbox|" + SandboxCrashedException.class.getName().replace(".", "\\.") + ")")
        .contains("FALLBACKS 0").doesNotContain("OUTCOME host");
  }
}
