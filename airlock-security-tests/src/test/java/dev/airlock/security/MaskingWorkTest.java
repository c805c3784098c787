package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.SandboxPool;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import dev.airlock.internal.guard.MaskingRefusedException;
import dev.airlock.internal.intercept.AirlockInterceptor;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attack review 3: a result within every byte, object and depth bound that makes the masker do work or allocate
 * memory out of all proportion to its bytes, past the masking deadline. Real guest code on the real local backend.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MaskingWorkTest {
  private static final Logger LOG = LoggerFactory.getLogger(MaskingWorkTest.class);
  private static final AirlockConfig LOCAL = AirlockConfig.builder().backend("local")
      .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(10).memoryMb(512).build();

  private final List<SandboxPool> pools = new ArrayList<>();

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    pools.forEach(SandboxPool::close);
    FaultTest.awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), Duration.ofSeconds(10));
  }

  /** An LLM tool returning a JSON-like map, guarded by a masking policy (docs/guard.md's recommended set-up). */
  public static class Tools {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 5)
    public Map<String, Object> lookup(String query) {
      // Guest code: 8 MiB of set bits, well inside airlock.max-result-bytes (10 MiB).
      BitSet bits = new BitSet();
      bits.set(0, 8 * 1024 * 1024 * 8);
      return Map.of("flags", bits);
    }
  }

  private Throwable call(String method, AirlockPolicy policy) throws Exception {
    SandboxPool pool = SandboxPool.builder(LOCAL).minSize(0).maxSize(1).build();
    pools.add(pool);
    AirlockInterceptor interceptor = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return LOCAL;
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        return pool;
      }
    }, new Guard(name -> Optional.of(policy), new InProcessRateLimitStore(), Clock.systemUTC()));
    Tools tools = new Tools();
    Method m = Tools.class.getMethod(method, String.class);
    return catchThrowable(() -> interceptor.intercept(tools, m, new Object[] {"q"}, () -> {
      throw new AssertionError("must not run on the host");
    }));
  }

  /**
   * The masker used to inspect a JDK object it does not know through {@code String.valueOf}, whole and untruncated:
   * {@code BitSet.toString} prints every set bit's index, so 8 MiB of result became ~700 M chars on the caller's
   * thread (460 MiB allocated, OutOfMemoryError with a smaller heap). Now such a type is refused before it is printed.
   */
  @Test
  void aBitSetInAMaskedResultIsRefusedWithoutPrintingIt() throws Exception {
    AirlockPolicy masking = AirlockPolicy.builder().masking(AirlockPolicy.Masking.FULL).build();
    long allocatedBefore = HostMemory.allocatedByThisThread();
    long start = System.nanoTime();
    Throwable thrown = call("lookup", masking);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    long allocated = HostMemory.allocatedByThisThread() - allocatedBefore;
    LOG.info("bitset-mask: {} allocated on the caller's thread in {} ms for a ~8 MiB result; outcome {}",
        HostMemory.mib(allocated), took.toMillis(), thrown == null ? "returned" : thrown.toString());

    assertThat(allocated).as("host allocation for an 8 MiB result (%s)", HostMemory.mib(allocated))
        .isLessThan(256L * 1024 * 1024);
    // The timeout bounds the worker's start too, which takes seconds on a loaded 2-core machine.
    assertThat(took).as("call with a 5 s timeout").isLessThan(Duration.ofSeconds(5 + 5));
    assertThat(thrown).isInstanceOf(MaskingRefusedException.class).hasMessageContaining("java.util.BitSet");
  }
}
