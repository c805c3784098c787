package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.internal.worker.warmup.WarmUpCall;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker warms up (a WARM_UP frame) only when it will wait idle: one started for a waiting caller serves that
 * caller's call first, with nothing run before it; a pre-started one has warmed up by its first call, and the host
 * read its WARMED answer before it listed the worker idle. Whether the warm-up ran is read in the worker's JVM: its
 * code is in a package of its own, defined there only once the warm-up loaded it.
 */
@Timeout(120)
class WarmUpOnlyWhenIdleTest {
  private static final LoadedProbe WARMED_UP = new LoadedProbe(WarmUpCall.class.getPackageName(),
      "airlock.test.unset");

  @Test
  void aWorkerStartedForACallerRunsThatCallBeforeAnyWarmUp() {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(0).poolMaxSize(1)
        .poolReuse(false).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      assertThat(pool.call(WARMED_UP)).as("the caller's own worker ran no warm-up before its call")
          .containsExactly(false, false);
    }
  }

  @Test
  void aWorkerPreStartedWhileACallerWaitsForItServesThatCallBeforeAnyWarmUp() {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(1).poolMaxSize(1)
        .poolReuse(false).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      // Called at once: the pool's one worker is still starting, and goes to this waiting caller.
      assertThat(pool.call(WARMED_UP)).as("the worker a caller waited for ran no warm-up before its call")
          .containsExactly(false, false);
    }
  }

  @Test
  void aPreStartedWorkerHasWarmedUpBeforeItsFirstCall() throws Exception {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(1).poolMaxSize(1)
        .poolReuse(false).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      for (int call = 0; call < 3; call++) {
        awaitIdleWorker(pool);
        assertThat(pool.call(WARMED_UP)).as("pre-started worker %d warmed up before its call", call)
            .containsExactly(true, false);
      }
      assertThat(pool.call(() -> 6 * 7)).isEqualTo(42);
    }
  }

  private static void awaitIdleWorker(SandboxPool pool) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (pool.stats().idle() < 1 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(pool.stats().idle()).as("a worker was pre-started").isEqualTo(1);
  }
}
