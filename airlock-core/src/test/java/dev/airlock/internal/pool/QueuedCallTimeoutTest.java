package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A call's timeout is a wall-clock limit from the moment it is made, its wait for a worker included: the wait was
 * bounded by it, but a call that got its worker just before its deadline was then given its whole timeout again, so a
 * guest holding the pool's workers (or slow to give one back) made another tool's or session's caller wait up to twice
 * its timeout plus the grace (attack review 18). Real local workers; the waiting call's guest suspends the worker's
 * own watchdog, so only the host's ends it.
 */
@Timeout(90)
class QueuedCallTimeoutTest {

  @Test
  void aCallThatWaitedForItsWorkerEndsByItsOwnDeadline() throws Exception {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(1).poolMaxSize(1)
        .poolReuse(true).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (pool.stats().idle() < 1 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(pool.stats().idle()).as("the worker pre-started").isEqualTo(1);

      CompletableFuture<Integer> holding = CompletableFuture.supplyAsync(() -> pool.call(() -> {
        Thread.sleep(4_000);
        return 1;
      }, Duration.ofSeconds(20)));
      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (pool.stats().active() < 1 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      Thread.sleep(200);
      long start = System.nanoTime();
      Throwable failure = null;
      try {
        pool.call(SlowKillTest::hangPastTheWorkersOwnWatchdog, Duration.ofSeconds(5));
      } catch (Throwable t) {
        failure = t;
      }
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(holding.get(30, TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(failure).isInstanceOf(SandboxTimeoutException.class);
      assertThat(failure.getMessage()).contains("5 s");
      // 5 s from the call + 1.5 s of grace; given its timeout again after its wait of about 3.8 s, it took 10.3 s.
      assertThat(tookMillis).as("a 5 s call that waited for its worker ran its whole timeout again")
          .isLessThan(8_500);
    }
  }
}
