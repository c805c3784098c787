package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 32 threads through a pool of 4 local workers: every call gets its own answer exactly once, the pool never holds
 * more than 4 workers, the host heap does not grow, and no worker is left. Figures are logged as {@code LOAD ...}.
 *
 * <p>{@code -Dairlock.load.reuse-false-calls=N} sizes the one-JVM-per-call run (200 in CI: about 1 min on 2 cores);
 * {@code -Dairlock.soak.minutes=M} turns the reuse run into a soak that keeps calling for M minutes.
 */
class LoadTest {
  private static final Logger LOG = LoggerFactory.getLogger(LoadTest.class);
  private static final int THREADS = 32;
  private static final int MAX_SIZE = 4;
  private static final long HEAP_GROWTH_BOUND = 64L * 1024 * 1024;
  /** The timeout covers waiting for a worker, and with reuse=false on a busy 2-core machine that wait is long. */
  private static final AirlockConfig LOCAL = AirlockConfig.builder().backend("local")
      .localIsolation(AirlockConfig.LocalIsolation.STRICT).sandboxRequired(true).timeoutSeconds(300).memoryMb(64)
      .build();

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void tenThousandReusedCallsFromThirtyTwoThreads() throws Exception {
    long soakMinutes = Long.getLong("airlock.soak.minutes", 0);
    run(true, 10_000, Duration.ofMinutes(soakMinutes));
  }

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void oneJvmPerCallFromThirtyTwoThreads() throws Exception {
    run(false, Integer.getInteger("airlock.load.reuse-false-calls", 200), Duration.ZERO);
  }

  /** {@code calls} calls, or as many as fit in {@code soak} when it is positive. */
  private static void run(boolean reuse, int calls, Duration soak) throws Exception {
    long heapBefore = HostMemory.retainedHeap();
    boolean soaking = !soak.isZero();
    long soakEnd = System.nanoTime() + soak.toNanos();
    int slots = soaking ? Integer.MAX_VALUE / 2 : calls;
    AtomicIntegerArray answered = new AtomicIntegerArray(soaking ? 1 : calls);
    AtomicInteger next = new AtomicInteger();
    AtomicLong wrongAnswers = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicInteger mostWorkers = new AtomicInteger();
    AtomicInteger mostWorkerJvms = new AtomicInteger();
    long[] latencies = new long[soaking ? 1 : calls];
    AtomicBoolean running = new AtomicBoolean(true);
    long start = System.nanoTime();

    try (SandboxPool pool = SandboxPool.builder(LOCAL).minSize(MAX_SIZE).maxSize(MAX_SIZE).reuse(reuse).build()) {
      Thread watcher = new Thread(() -> {
        while (running.get()) {
          dev.airlock.PoolStats stats = pool.stats();
          mostWorkers.accumulateAndGet(stats.active() + stats.idle(), Math::max);
          mostWorkerJvms.accumulateAndGet(WorkerProcesses.workerJvms().size(), Math::max);
          sleep(100);
        }
      }, "load-watcher");
      watcher.start();
      ExecutorService callers = Executors.newFixedThreadPool(THREADS);
      List<Future<?>> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        threads.add(callers.submit(() -> {
          for (int id = next.getAndIncrement(); id < slots; id = next.getAndIncrement()) {
            if (soaking && System.nanoTime() > soakEnd) {
              return;
            }
            long callStart = System.nanoTime();
            String tag = "call-" + id;
            try {
              String answer = pool.call(() -> tag + "@" + ProcessHandle.current().pid());
              if (!answer.startsWith(tag + "@")) {
                wrongAnswers.incrementAndGet();
              } else if (!soaking) {
                answered.incrementAndGet(id);
                latencies[id] = System.nanoTime() - callStart;
              }
            } catch (RuntimeException e) {
              failures.incrementAndGet();
              LOG.warn("call {} failed", id, e);
            }
          }
        }));
      }
      for (Future<?> thread : threads) {
        thread.get();
      }
      callers.shutdown();
      running.set(false);
      watcher.join();
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      int made = soaking ? next.get() - THREADS : calls;
      long heapGrowth = HostMemory.retainedHeap() - heapBefore;
      Arrays.sort(latencies);
      LOG.info("LOAD reuse={} calls={} threads={} maxSize={} took={} ms throughput={}/s p50={} ms p99={} ms "
          + "workersStarted={} mostWorkers={} mostWorkerJvms={} failures={} wrongAnswers={} heapGrowth={}",
          reuse, made, THREADS, MAX_SIZE, tookMillis, String.format("%.1f", made * 1000.0 / tookMillis),
          millis(latencies, 0.50), millis(latencies, 0.99), pool.stats().workersStarted(), mostWorkers.get(),
          mostWorkerJvms.get(), failures.get(), wrongAnswers.get(), HostMemory.mib(heapGrowth));

      assertThat(failures.get()).as("failed calls").isZero();
      assertThat(wrongAnswers.get()).as("calls answered with another call's result").isZero();
      if (!soaking) {
        for (int id = 0; id < calls; id++) {
          assertThat(answered.get(id)).as("answers to call %d", id).isEqualTo(1);
        }
      }
      assertThat(mostWorkers.get()).as("pool size seen").isLessThanOrEqualTo(MAX_SIZE);
      assertThat(mostWorkerJvms.get()).as("worker JVMs seen").isLessThanOrEqualTo(MAX_SIZE);
      assertThat(heapGrowth).as("host heap growth %s", HostMemory.mib(heapGrowth)).isLessThan(HEAP_GROWTH_BOUND);
    }
    FaultTest.awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), Duration.ofSeconds(10));
    assertThat(WorkerProcesses.descendants()).as("worker processes left").isEmpty();
  }

  private static long millis(long[] sorted, double quantile) {
    return TimeUnit.NANOSECONDS.toMillis(sorted[(int) Math.min(sorted.length - 1, sorted.length * quantile)]);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
