package dev.airlock.bench;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import dev.airlock.internal.codec.InvocationPacker;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;

/** The pools the benchmarks measure: the local backend with its default isolation, warmed before measuring. */
final class Pools {
  static final int MAX_BYTES = 64 * 1024 * 1024;

  private Pools() {
  }

  static AirlockConfig config() {
    return AirlockConfig.builder()
        .backend("local")
        .sandboxRequired(true)
        .memoryMb(256)
        .maxPayloadBytes(MAX_BYTES)
        .maxResultBytes(MAX_BYTES)
        .allowedClasses(List.of("dev.airlock.bench.*"))
        .build();
  }

  /** A pool of {@code size} started workers; with {@code reuse} each has already served one call. */
  static SandboxPool warm(int size, boolean reuse) {
    SandboxPool pool = SandboxPool.builder(config()).minSize(size).maxSize(size).reuse(reuse)
        .idleTimeout(Duration.ofMinutes(30)).build();
    if (reuse) {
      for (int i = 0; i < size; i++) {
        pool.call(Ping.SMALL);
      }
    }
    awaitIdle(pool, size);
    return pool;
  }

  /** Waits until {@code count} workers are started and idle. */
  static void awaitIdle(SandboxPool pool, int count) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (pool.stats().idle() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the pool did not reach " + count + " idle workers: " + pool.stats());
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** The INVOKE body a pool sends for {@code call}: the bytes the floor echoes. */
  static byte[] invocationBytes(SandboxCall<?> call) throws NoSuchMethodException {
    Method method = SandboxCall.class.getMethod("call");
    return InvocationPacker.pack(call, method, new Object[0], MAX_BYTES);
  }
}
