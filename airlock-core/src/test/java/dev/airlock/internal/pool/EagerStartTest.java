package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.internal.local.LocalBackend;
import dev.airlock.spi.SandboxBackend;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Eager start (issue 15): {@link SandboxPool#warmUp()} creates the backend, its isolation probe included, before any
 * call, and a warm-up, warm starts and first calls arriving together create one backend, not one each.
 */
@Timeout(120)
class EagerStartTest {
  private static final AirlockConfig CONFIG = AirlockConfig.builder().backend("local").build();

  @Test
  void warmUpCreatesTheBackendBeforeAnyCallAndTheFirstCallUsesIt() throws Exception {
    List<SandboxBackend> created = new CopyOnWriteArrayList<>();
    try (SandboxPool pool = SandboxPool.builder(CONFIG).minSize(0).maxSize(1)
        .backend("local", counting(created, 0)).build()) {
      assertThat(created).as("nothing starts before warmUp() when min-size is 0").isEmpty();
      pool.warmUp();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (created.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(created).as("warmUp() created the backend without a call").hasSize(1);
      assertThat(pool.stats().totalExecutions()).isZero();

      assertThat(pool.call(() -> 6 * 7)).isEqualTo(42);
      assertThat(created).as("the first call found the backend the warm-up made").hasSize(1);
    }
  }

  @Test
  void concurrentFirstUsesCreateOneBackend() throws Exception {
    List<SandboxBackend> created = new CopyOnWriteArrayList<>();
    WorkerPool pool = new WorkerPool(counting(created, 300), 0, 2, Duration.ofMinutes(1), false, 64, 1 << 20);
    try {
      List<CompletableFuture<SandboxBackend>> users = IntStream.range(0, 4)
          .mapToObj(i -> CompletableFuture.supplyAsync(pool::backend)).toList();
      for (CompletableFuture<SandboxBackend> user : users) {
        assertThat(user.get(60, TimeUnit.SECONDS)).isSameAs(created.get(0));
      }
      assertThat(created).as("one backend, one isolation probe").hasSize(1);
    } finally {
      pool.close();
    }
  }

  /** Local backends, each recorded; the first creation takes {@code slowMillis} longer, so others arrive meanwhile. */
  private static Supplier<SandboxBackend> counting(List<SandboxBackend> created, long slowMillis) {
    return () -> {
      try {
        Thread.sleep(slowMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      LocalBackend backend = new LocalBackend(CONFIG);
      created.add(backend);
      return backend;
    };
  }
}
