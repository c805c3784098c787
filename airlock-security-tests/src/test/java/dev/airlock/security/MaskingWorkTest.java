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

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 5)
    public String ligatures(String query) {
      // Guest code: U+FDFA is 3 bytes of UTF-8 on the wire and 18 characters in NFKC form, the form the masker
      // scans; 9.9 MB of it is inside airlock.max-result-bytes (10 MiB).
      return "\uFDFA".repeat(3_300_000);
    }
  }

  /** What one masked call cost the caller's thread, and how it ended. */
  private record Cost(Throwable thrown, Duration took, long allocated) {
  }

  /** Calls {@code method} under {@code FULL} masking, logging what it cost the caller's thread. */
  private Cost maskedCall(String method, String result) throws Exception {
    long allocatedBefore = HostMemory.allocatedByThisThread();
    long start = System.nanoTime();
    Throwable thrown = call(method, AirlockPolicy.builder().masking(AirlockPolicy.Masking.FULL).build());
    Cost cost = new Cost(thrown, Duration.ofNanos(System.nanoTime() - start),
        HostMemory.allocatedByThisThread() - allocatedBefore);
    LOG.info("{}: {} allocated on the caller's thread in {} ms for {}; outcome {}", method,
        HostMemory.mib(cost.allocated()), cost.took().toMillis(), result, String.valueOf(thrown));
    return cost;
  }

  /** The call was refused with a message holding {@code says}, within {@code maxMib} and its timeout. */
  private static void assertRefused(Cost cost, long maxMib, String... says) {
    assertThat(cost.allocated()).as("host allocation (%s)", HostMemory.mib(cost.allocated()))
        .isLessThan(maxMib * 1024 * 1024);
    // The 5 s timeout bounds the worker's start too, which takes seconds on a loaded 2-core machine.
    assertThat(cost.took()).as("call with a 5 s timeout").isLessThan(Duration.ofSeconds(5 + 5));
    assertThat(cost.thrown()).isInstanceOf(MaskingRefusedException.class);
    for (String text : says) {
      assertThat(cost.thrown()).hasMessageContaining(text);
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
    assertRefused(maskedCall("lookup", "a ~8 MiB result"), 256, "java.util.BitSet");
  }

  /**
   * Attack review 25: the masker scans text in NFKC form, and normalized all of every string first, whatever it
   * became. 9.9 MB of U+FDFA (3.3 M chars) became 59 M chars: 587 MiB allocated on the caller's thread, 120 MiB of it
   * one string held while scanned, before the deadline could stop anything: an OutOfMemoryError on this test's
   * 512 MiB heap. Text whose normal form outgrows it more than twice is refused, measured in bounded pieces.
   */
  @Test
  void aStringThatGrowsWhenNormalizedIsRefusedBeforeItIsNormalizedWhole() throws Exception {
    assertRefused(maskedCall("ligatures", "a 9.9 MB result"), 192, "NFKC", "masking is NONE");
  }
}
