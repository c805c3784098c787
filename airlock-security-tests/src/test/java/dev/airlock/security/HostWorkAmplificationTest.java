package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxProtocolException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attack review 3: a result within every byte, object and depth bound that tried to make the host do work or allocate
 * memory out of all proportion to its bytes, past the call's deadline. Each test's Javadoc says how the attack worked
 * before the fix; the assertions state the safe behaviour. Real guest code on the real local backend.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostWorkAmplificationTest {
  private static final Logger LOG = LoggerFactory.getLogger(HostWorkAmplificationTest.class);

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private final List<SandboxPool> pools = new ArrayList<>();

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    pools.forEach(SandboxPool::close);
    FaultTest.awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), Duration.ofSeconds(10));
  }

  private SandboxPool pool(int timeoutSeconds) {
    SandboxPool pool = SandboxPool.builder(AirlockConfig.builder().backend("local")
        .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(timeoutSeconds).memoryMb(512).build())
        .minSize(0).maxSize(1).build();
    pools.add(pool);
    return pool;
  }

  /** How one attack call ended: its wall time, the calling thread's CPU and what it threw. */
  private record Outcome(Duration took, long cpuNanos, Throwable thrown) {
  }

  private Outcome call(String attack, int timeoutSeconds, SandboxCall<Object> guest) {
    SandboxPool pool = pool(timeoutSeconds);
    long start = System.nanoTime();
    long cpuStart = THREADS.getCurrentThreadCpuTime();
    Throwable thrown = catchThrowable(() -> pool.call(guest));
    Outcome outcome = new Outcome(Duration.ofNanos(System.nanoTime() - start),
        THREADS.getCurrentThreadCpuTime() - cpuStart, thrown);
    LOG.info("ATTACK {}: call with a {} s timeout ended after {} ms, {} ms of the caller thread's CPU: {}", attack,
        timeoutSeconds, outcome.took.toMillis(), outcome.cpuNanos / 1_000_000,
        thrown == null ? "returned" : thrown.toString());
    return outcome;
  }

  /**
   * Decoding bounds each insertion's hash to "at most the whole result", but a result of hashed sets nested ~390
   * deep around one big list hashes that list several times per level: {@code Set.of} with more than 16 elements
   * is hashed in the hash-flood check, in {@code Set.copyOf}'s {@code HashSet} and in the {@code SetN} it builds.
   * Between two levels there is no object read, so the deadline is never
   * polled: the calling thread runs hundreds of full passes over the result after its timeout.
   */
  @Test
  void nestedHashedSetsStopHashingAtTheDeadline() throws InterruptedException {
    Outcome outcome = call("nested-sets", 10, HostWorkAmplificationTest::nestedSets);

    assertThat(outcome.cpuNanos).as("the caller thread's CPU for a call with a 10 s timeout")
        .isLessThan(10_000_000_000L);
    assertThat(outcome.took).as("call with a 10 s timeout (watchdog at 11.5 s)")
        .isLessThan(Duration.ofSeconds(10 + 5));
    // The decoder the caller abandoned stops at its next deadline check instead of hashing on.
    long cpuBefore = allThreadsCpu();
    Thread.sleep(3000);
    long cpuAfter = allThreadsCpu();
    LOG.info("ATTACK nested-sets: the host's threads ran {} ms of CPU in the 3 s after the call",
        (cpuAfter - cpuBefore) / 1_000_000);
    assertThat(cpuAfter - cpuBefore).as("the host threads' CPU in the 3 s after the call").isLessThan(1_000_000_000L);
  }

  private static long allThreadsCpu() {
    long total = 0;
    for (long cpu : java.util.Arrays.stream(THREADS.getAllThreadIds()).map(THREADS::getThreadCpuTime).toArray()) {
      total += Math.max(cpu, 0);
    }
    return total;
  }

  /**
   * The declared size of a collection is checked against the bytes left in the result, but Kryo reads a collection
   * whose elements are all null from a flag, without a byte or an object visit per element. So every list in a
   * result may declare (and the host allocate) as many elements as the whole remaining result has bytes: 64 lists of
   * 9 M nulls, followed by a 9.5 MiB byte array that keeps the bytes "left", make the host allocate 64 x 36 MB.
   */
  @Test
  void allNullListsShareOneBudgetAndAreRefused() {
    SandboxPool pool = pool(10);

    Map<Long, Long> allocatedBefore = allocatedPerThread();
    long start = System.nanoTime();
    Throwable thrown = catchThrowable(() -> pool.call(HostWorkAmplificationTest::allNullLists));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    long allocated = allocatedSince(allocatedBefore);
    LOG.info("ATTACK all-null-lists: {} allocated by the host's threads in {} ms for a ~9.5 MiB result; outcome {}",
        HostMemory.mib(allocated), took.toMillis(), thrown == null ? "returned" : thrown.toString());

    assertThat(allocated).as("host allocation for a result of under 10 MiB (%s)", HostMemory.mib(allocated))
        .isLessThan(256L * 1024 * 1024);
    assertThat(thrown).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("more elements and objects than its");
  }

  /** Bytes allocated so far by each live thread (large results are decoded off the caller's thread). */
  private static Map<Long, Long> allocatedPerThread() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) THREADS;
    Map<Long, Long> allocated = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      allocated.put(id, threads.getThreadAllocatedBytes(id));
    }
    return allocated;
  }

  /** What the live threads allocated since {@code before}; a thread started since counts from zero. */
  private static long allocatedSince(Map<Long, Long> before) {
    long total = 0;
    for (Map.Entry<Long, Long> now : allocatedPerThread().entrySet()) {
      if (now.getValue() > 0) {
        total += now.getValue() - before.getOrDefault(now.getKey(), 0L);
      }
    }
    return total;
  }

  /** Guest code: one list of 9 M nulls, written 64 times (results are trees), then 9.5 MiB of padding. */
  static Object allNullLists() {
    List<Object> nulls = new ArrayList<>(java.util.Collections.nCopies(9_000_000, null));
    List<Object> result = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      result.add(nulls);
    }
    result.add(new byte[9_500_000]);
    return result;
  }

  /**
   * The hash-flood check skips JDK values that are {@code Comparable}, since a {@code HashMap} orders colliding ones
   * by {@code compareTo}. That holds only for keys of one class: Strings and Longs that share one hash code do not
   * compare with each other, so every insertion into the tree bin searches the whole bin (quadratic). A result of
   * 96,000 such keys (under 3 MiB) keeps the caller's thread in {@code addAll}, where no deadline is polled.
   */
  @Test
  void stringsAndLongsWithOneHashCodeAreRefusedAsAHashFlood() {
    Outcome outcome = call("mixed-colliding-keys", 3, HostWorkAmplificationTest::mixedCollidingKeys);

    assertThat(outcome.took).as("call with a 3 s timeout (watchdog at 4.5 s)").isLessThan(Duration.ofSeconds(3 + 4));
    assertThat(outcome.thrown).isInstanceOf(SandboxProtocolException.class).hasMessageContaining("hash flooding");
  }

  /**
   * Guest code: 48,000 Strings of "Aa"/"BB" blocks (one hash code) and 48,000 Longs with that hash code, in a
   * {@code HashSet}. Each String gets a made-up cached hash first (through {@code sun.misc.Unsafe}), so the guest's
   * own set is cheap to build; the host's decoded Strings hash to the real, shared value.
   */
  static Object mixedCollidingKeys() throws Exception {
    Class<?> unsafeType = Class.forName("sun.misc.Unsafe");
    java.lang.reflect.Field theUnsafe = unsafeType.getDeclaredField("theUnsafe");
    theUnsafe.setAccessible(true);
    Object unsafe = theUnsafe.get(null);
    long hashOffset = (long) unsafeType.getMethod("objectFieldOffset", java.lang.reflect.Field.class)
        .invoke(unsafe, String.class.getDeclaredField("hash"));
    Method putInt = unsafeType.getMethod("putInt", Object.class, long.class, int.class);
    java.util.HashSet<Object> keys = new java.util.HashSet<>();
    int shared = 0;
    for (int i = 0; i < 48_000; i++) {
      StringBuilder text = new StringBuilder();
      for (int bit = 0; bit < 16; bit++) {
        text.append(((i >> bit) & 1) == 0 ? "Aa" : "BB");
      }
      String key = new String(text);
      if (i == 0) {
        shared = key.hashCode();
      }
      putInt.invoke(unsafe, key, hashOffset, i + 1);
      keys.add(key);
    }
    for (long i = 1; i <= 48_000; i++) {
      keys.add((i << 32) | ((i ^ shared) & 0xffffffffL));
    }
    return keys;
  }

  /**
   * Ordering a result's {@code TreeSet<BigDecimal>} runs {@code BigDecimal.compareTo}, which for two scales computes
   * each value's precision: {@code 10^digits} by {@code BigInteger.pow}, superlinear in the bytes. One insertion of
   * an 8 MiB number costs the calling thread seconds, between two object reads, so the deadline is never polled.
   */
  @Test
  void aBigDecimalOfMegabytesIsRefusedBeforeItIsCompared() {
    Outcome outcome = call("bigdecimal-treeset", 3, HostWorkAmplificationTest::bigDecimals);

    assertThat(outcome.cpuNanos).as("the caller thread's CPU for a call with a 3 s timeout")
        .isLessThan(3_000_000_000L);
    assertThat(outcome.took).as("call with a 3 s timeout (watchdog at 4.5 s)").isLessThan(Duration.ofSeconds(3 + 4));
    assertThat(outcome.thrown).isInstanceOf(SandboxProtocolException.class).hasMessageContaining("a result's number");
  }

  /**
   * Guest code: an 8 MiB number and a small one with another scale, in a {@code TreeSet}. The guest writes a made-up
   * precision into its own copy first (through {@code sun.misc.Unsafe}), so that its own insertion is cheap; the
   * host's decoded copy has none and computes it.
   */
  static Object bigDecimals() throws Exception {
    byte[] bytes = new byte[8 * 1024 * 1024];
    java.util.Arrays.fill(bytes, (byte) 0x5a);
    java.math.BigDecimal huge = new java.math.BigDecimal(new java.math.BigInteger(1, bytes), 0);
    Class<?> unsafeType = Class.forName("sun.misc.Unsafe");
    java.lang.reflect.Field theUnsafe = unsafeType.getDeclaredField("theUnsafe");
    theUnsafe.setAccessible(true);
    Object unsafe = theUnsafe.get(null);
    long offset = (long) unsafeType.getMethod("objectFieldOffset", java.lang.reflect.Field.class)
        .invoke(unsafe, java.math.BigDecimal.class.getDeclaredField("precision"));
    unsafeType.getMethod("putInt", Object.class, long.class, int.class).invoke(unsafe, huge, offset, 20_000_000);
    java.util.TreeSet<java.math.BigDecimal> set = new java.util.TreeSet<>();
    set.add(huge);
    set.add(new java.math.BigDecimal("1.5"));
    return set;
  }

  /**
   * Guest code: 8 M Booleans (1 byte each on the wire: Kryo writes one element class for the list),
   * wrapped in 390 {@code Set.of} sets of 17 elements each. The list is filled after the sets were built, so the
   * guest never pays for hashing it (a set keeps its hash layout).
   */
  static Object nestedSets() {
    List<Object> bottom = new ArrayList<>(8_000_000);
    Object inner = bottom;
    for (int level = 0; level < 390; level++) {
      Object[] elements = new Object[17];
      elements[0] = inner;
      for (int i = 1; i < elements.length; i++) {
        elements[i] = level * 16 + i;
      }
      inner = Set.of(elements);
    }
    for (int i = 0; i < 8_000_000; i++) {
      bottom.add(Boolean.TRUE);
    }
    return inner;
  }
}
