package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.internal.local.LocalBackend;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One call's timeout must not wait for another worker's kill. A kill can take long: the local backend waits up to 5 s
 * for the process tree and then for its cgroups, Docker makes two engine calls of up to 30 s each. Every call's
 * timeout watchdog ran on the pool's one maintenance thread, and so did the kill it starts: while one timed-out
 * worker's kill was slow, every other call's watchdog fired only after it, and their callers waited well past their
 * timeouts (attack review 18). Real local workers whose guests suspend the worker's own watchdog; the first worker's
 * kill is made slow after its process is gone, as a slow engine's removal is.
 */
@Timeout(90)
class SlowKillTest {
  private static final long SLOW_KILL_MILLIS = 8_000;

  @Test
  void aSlowKillDoesNotDelayAnotherCallsTimeout() throws Exception {
    SlowFirstKill backend = new SlowFirstKill(new LocalBackend(AirlockConfig.builder().build()));
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(2).poolMaxSize(2)
        .poolReuse(false).build();
    try (SandboxPool pool = SandboxPool.builder(config).backend("local", () -> backend).build()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (pool.stats().idle() < 2 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(pool.stats().idle()).as("both workers pre-started").isEqualTo(2);

      CompletableFuture<Throwable> first = CompletableFuture.supplyAsync(() -> callFailure(pool));
      // The first call's worker is the one whose kill is slow.
      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (pool.stats().active() < 1 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      Thread.sleep(300);
      long start = System.nanoTime();
      Throwable second = callFailure(pool);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(second).isInstanceOf(SandboxTimeoutException.class);
      assertThat(first.get(30, TimeUnit.SECONDS)).isInstanceOf(SandboxTimeoutException.class);
      assertThat(backend.slowKills).as("the first worker's kill was the slow one").hasSize(1);
      // 1 s timeout + 1.5 s grace; the slow kill ended about 8 s after the first call's watchdog fired.
      assertThat(tookMillis).as("the second call's timeout (1 s) waited for the first worker's slow kill")
          .isLessThan(6_000);
    }
    assertThat(backend.launched).allSatisfy(w -> assertThat(w.isAlive()).isFalse());
  }

  /**
   * A call ended by its worker's own watchdog (the usual timeout), or by its guest ending the worker JVM, was answered
   * only once its caller had killed the worker itself: a slow kill (8 s here) held that caller past its timeout +
   * grace, or past the crash, by as long as the kill took (attack review 19). Every worker's kill is slow here.
   */
  @Test
  void aSlowKillDoesNotHoldTheCallerWhoseWorkerTimedOutOrDied() throws Exception {
    SlowFirstKill backend = new SlowFirstKill(new LocalBackend(AirlockConfig.builder().build()), true);
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(0).poolMaxSize(3)
        .poolReuse(false).build();
    try (SandboxPool pool = SandboxPool.builder(config).backend("local", () -> backend).build()) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> pool.call(SlowKillTest::hang, Duration.ofSeconds(1)))
          .isInstanceOf(SandboxTimeoutException.class);
      long timedOutMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      start = System.nanoTime();
      assertThatThrownBy(() -> pool.call(SlowKillTest::halt, Duration.ofSeconds(30)))
          .isInstanceOf(SandboxCrashedException.class);
      long diedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      // Each includes its worker's start (under a second); the kills return 8 s after the processes are gone.
      assertThat(timedOutMillis).as("the timed-out call (1 s) waited for its worker's slow kill").isLessThan(6_000);
      assertThat(diedMillis).as("the call whose worker died waited for its worker's slow kill").isLessThan(6_000);
    }
    assertThat(backend.slowKills).as("both workers' kills were slow (close waited for them)").hasSize(2);
    assertThat(backend.launched).allSatisfy(w -> assertThat(w.isAlive()).isFalse());
  }

  static int hang() throws Exception {
    Thread.sleep(60_000);
    return 1;
  }

  static int halt() {
    Runtime.getRuntime().halt(3);
    return 1;
  }

  /**
   * A worker whose start timed out was killed by its handshake's watchdog, and its slot was freed at once, while the
   * kill still ran: the next call started a worker beside it, beyond the pool's size, and so on for each failed start
   * (attack review 18). The first worker never says HELLO; its kill returns 8 s after its process is gone.
   */
  @Test
  void aWorkerWhoseStartTimedOutKeepsItsSlotUntilItsKillIsDone() throws Exception {
    SilentFirstWorker backend = new SilentFirstWorker(new LocalBackend(AirlockConfig.builder().build()));
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(0).poolMaxSize(1)
        .poolReuse(false).build();
    try (SandboxPool pool = SandboxPool.builder(config).backend("local", () -> backend).build()) {
      assertThatThrownBy(() -> pool.call(() -> 1, Duration.ofSeconds(2)))
          .isInstanceOf(SandboxTimeoutException.class);

      assertThat(pool.call(() -> 2, Duration.ofSeconds(30))).isEqualTo(2);

      long firstKillDone = backend.firstKillReturnedAt;
      assertThat(backend.launchedAt).hasSize(2);
      assertThat(firstKillDone).as("a second worker (max-size 1) served a call before the first one's kill was done")
          .isNotZero();
      assertThat(backend.launchedAt.get(1))
          .as("the second worker (max-size 1) launched before the first one's kill was done")
          .isGreaterThanOrEqualTo(firstKillDone);
    }
  }

  /** The first worker never says HELLO; its kill returns 8 s after its process is gone. */
  private static final class SilentFirstWorker extends ForwardingBackend {
    final List<Long> launchedAt = new CopyOnWriteArrayList<>();
    volatile long firstKillReturnedAt;

    SilentFirstWorker(SandboxBackend delegate) {
      super(delegate);
    }

    @Override
    public WorkerHandle launch(WorkerSpec spec) {
      WorkerHandle handle = delegate.launch(spec);
      launchedAt.add(System.nanoTime());
      if (launchedAt.size() > 1) {
        return handle;
      }
      java.util.concurrent.CountDownLatch killed = new java.util.concurrent.CountDownLatch(1);
      InputStream silent = new InputStream() {
        @Override
        public int read() throws java.io.IOException {
          try {
            killed.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return -1;
        }
      };
      return new ForwardingHandle(handle) {
        @Override
        public InputStream input() {
          return silent;
        }

        @Override
        public synchronized void kill() {
          if (killed.getCount() == 0) {
            return;
          }
          delegate.kill();
          killed.countDown();
          try {
            Thread.sleep(SLOW_KILL_MILLIS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          firstKillReturnedAt = System.nanoTime();
        }
      };
    }
  }

  private static Throwable callFailure(SandboxPool pool) {
    try {
      pool.call(SlowKillTest::hangPastTheWorkersOwnWatchdog, Duration.ofSeconds(1));
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /** A hostile guest: suspends the worker JVM's own call watchdog, so only the host's watchdog ends the call. */
  static int hangPastTheWorkersOwnWatchdog() throws Exception {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("airlock-call-watchdog")) {
        Thread.class.getMethod("suspend").invoke(t);
      }
    }
    Thread.sleep(60_000);
    return 1;
  }

  /**
   * The first worker that gets a call (or with {@code everyWorker}, each) is killed slowly: its process dies at once,
   * the kill returns 8 s later.
   */
  private static final class SlowFirstKill extends ForwardingBackend {
    final List<WorkerHandle> launched = new CopyOnWriteArrayList<>();
    final List<String> slowKills = new CopyOnWriteArrayList<>();
    private final boolean everyWorker;

    SlowFirstKill(SandboxBackend delegate) {
      this(delegate, false);
    }

    SlowFirstKill(SandboxBackend delegate, boolean everyWorker) {
      super(delegate);
      this.everyWorker = everyWorker;
    }

    @Override
    public WorkerHandle launch(WorkerSpec spec) {
      WorkerHandle handle = delegate.launch(spec);
      launched.add(handle);
      boolean slow = everyWorker || launched.size() == 1;
      return new ForwardingHandle(handle) {
        private boolean killed;

        @Override
        public void kill() {
          boolean first;
          synchronized (this) {
            first = !killed;
            killed = true;
          }
          delegate.kill();
          if (slow && first) {
            slowKills.add(delegate.id());
            try {
              Thread.sleep(SLOW_KILL_MILLIS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        }
      };
    }
  }
}
