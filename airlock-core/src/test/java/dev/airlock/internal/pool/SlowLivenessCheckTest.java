package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.internal.local.LocalBackend;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's maintenance asks each idle worker whether it lives; a backend may ask its engine (Docker inspects the
 * container, an engine call of up to 30 s, for a worker not heard from in the last second). That ran on the thread of
 * every call's timeout watchdog and under the lock every call's acquire and release takes, so a slow answer about an
 * idle worker held a hanging call's watchdog and its caller's return past its timeout (attack review 18). Real local
 * workers; the idle worker's liveness takes 8 s to answer when maintenance asks, as a slow engine's inspect would.
 */
@Timeout(90)
class SlowLivenessCheckTest {
  private static final long SLOW_ANSWER_MILLIS = 8_000;

  @Test
  void aSlowLivenessCheckOfAnIdleWorkerDoesNotDelayACallsTimeout() throws Exception {
    SlowWhenMaintenanceAsks backend = new SlowWhenMaintenanceAsks(new LocalBackend(AirlockConfig.builder().build()));
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(2).poolMaxSize(2)
        .poolReuse(true).build();
    try (SandboxPool pool = SandboxPool.builder(config).backend("local", () -> backend)
        .idleTimeout(Duration.ofSeconds(1)).build()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (pool.stats().idle() < 2 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(pool.stats().idle()).as("both workers pre-started").isEqualTo(2);
      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (backend.slowAnswers.get() < 1 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(backend.slowAnswers.get()).as("maintenance asked about the idle workers").isPositive();

      long start = System.nanoTime();
      Throwable failure = null;
      try {
        pool.call(SlowKillTest::hangPastTheWorkersOwnWatchdog, Duration.ofSeconds(1));
      } catch (Throwable t) {
        failure = t;
      }
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(failure).isInstanceOf(SandboxTimeoutException.class);
      // 1 s timeout + 1.5 s grace; behind an 8 s answer about another worker, up to 10.5 s.
      assertThat(tookMillis).as("a 1 s call waited for the pool's liveness check of an idle worker")
          .isLessThan(5_000);
    }
  }

  @Test
  void aSlowLivenessCheckForOneCallerDoesNotHoldAnotherCallersReturn() throws Exception {
    SlowWhenMaintenanceAsks backend = new SlowWhenMaintenanceAsks(new LocalBackend(AirlockConfig.builder().build()),
        "slow-caller");
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(2).poolMaxSize(2)
        .poolReuse(true).build();
    try (SandboxPool pool = SandboxPool.builder(config).backend("local", () -> backend).build()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (pool.stats().idle() < 2 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(pool.stats().idle()).as("both workers pre-started").isEqualTo(2);

      long start = System.nanoTime();
      CompletableFuture<Throwable> hanging = CompletableFuture.supplyAsync(() -> {
        try {
          pool.call(SlowKillTest::hangPastTheWorkersOwnWatchdog, Duration.ofSeconds(1));
          return null;
        } catch (Throwable t) {
          return t;
        }
      });
      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (pool.stats().active() < 1 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      // Another caller takes the other idle worker, whose liveness takes 8 s to answer it.
      Thread other = new Thread(() -> pool.call(() -> 1, Duration.ofSeconds(20)), "slow-caller");
      other.start();
      Throwable failure = hanging.get(30, TimeUnit.SECONDS);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      other.join(30_000);

      assertThat(backend.slowAnswers.get()).as("the other caller asked about its worker").isPositive();
      assertThat(failure).isInstanceOf(SandboxTimeoutException.class);
      // 1 s timeout + 1.5 s grace; behind the other caller's 8 s answer, about 8.3 s.
      assertThat(tookMillis).as("a 1 s call's return waited for another caller's liveness check").isLessThan(5_000);
    }
  }

  /** Every worker's liveness answers 8 s late when a thread of the given name asks; at once for any other. */
  private static final class SlowWhenMaintenanceAsks extends ForwardingBackend {
    final AtomicInteger slowAnswers = new AtomicInteger();
    final String slowThread;

    SlowWhenMaintenanceAsks(SandboxBackend delegate) {
      this(delegate, "airlock-pool-maintenance");
    }

    SlowWhenMaintenanceAsks(SandboxBackend delegate, String slowThread) {
      super(delegate);
      this.slowThread = slowThread;
    }

    @Override
    public WorkerHandle launch(WorkerSpec spec) {
      return new ForwardingHandle(delegate.launch(spec)) {
        @Override
        public boolean isAlive() {
          if (Thread.currentThread().getName().startsWith(slowThread)) {
            slowAnswers.incrementAndGet();
            try {
              Thread.sleep(SLOW_ANSWER_MILLIS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return delegate.isAlive();
        }
      };
    }
  }
}
