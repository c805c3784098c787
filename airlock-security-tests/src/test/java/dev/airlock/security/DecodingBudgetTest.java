package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.SandboxProtocolException;
import dev.airlock.UnshippableInvocationException;
import dev.airlock.security.hostile.Lie;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 item 2: the work of decoding a result is bounded by its bytes and its call's deadline. A result cannot
 * make the host's calling thread loop (shared references multiplying a hash, colliding hashes making a set
 * quadratic); it ends in {@link SandboxProtocolException} promptly, and the worker slot serves the next call. The
 * timeout runs on a separate thread, because a thread stuck in {@code hashCode} cannot be interrupted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DecodingBudgetTest {
  static final Duration PROMPTLY = HostilePool.TIMEOUT.plus(Duration.ofSeconds(5));

  @ParameterizedTest
  @EnumSource(value = Lie.class, names = {"SHARED_NESTED_LISTS_IN_HASHSET", "COLLIDING_HASH_LISTS"})
  void aResultThatMultipliesWorkEndsPromptlyAndTheSlotServesTheNextCall(Lie lie) throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      hostile.backend.thenLie(lie);
      long start = System.nanoTime();

      Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> 42));

      assertThat(thrown).isExactlyInstanceOf(SandboxProtocolException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PROMPTLY);
      assertThat(hostile.pool.call(() -> 7)).as("the next call").isEqualTo(7);
    }
  }

  @Test
  void aCyclicResultFromARealWorkerGetsAClearErrorInsteadOfAHang() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> {
        List<Object> cycle = new ArrayList<>();
        cycle.add(List.of("x", cycle));
        return cycle;
      }));

      assertThat(thrown).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("cycle");
      assertThat(hostile.pool.call(() -> 7)).isEqualTo(7);
    }
  }
}
