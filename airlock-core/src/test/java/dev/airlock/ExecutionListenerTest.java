package dev.airlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.ExecutionListener.Outcome;
import dev.airlock.spi.contract.ContractTools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 16: a listener hears every call a pool takes, whatever its path, as {@code callStart} then exactly one of
 * {@code callEnd}/{@code callFailed}, with an outcome that names the path. Real local workers; the unavailable and
 * fallback paths use a backend that cannot be had.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutionListenerTest {

  @Test
  void aCallThatReturnsAndOneThatThrowsInTheSandboxAreEachPaired() {
    Recorder events = new Recorder();
    try (SandboxPool pool = localPool(events, 1)) {
      assertThat(pool.call(() -> 6 * 7)).isEqualTo(42);
      assertThatThrownBy(() -> pool.call(() -> {
        throw new IllegalStateException("tool failed");
      })).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> pool.call(() -> ContractTools.exit(3))).isInstanceOf(SandboxCrashedException.class);
    }
    assertThat(events.calls()).containsExactly("start end SUCCESS", "start failed ERROR IllegalStateException",
        "start failed CRASH SandboxCrashedException");
    assertThat(events.ends.get(0).workerPid()).isPositive();
  }

  @Test
  void aSaturatedPoolIsItsOwnOutcomeAndExceptionNotATimeout() throws Exception {
    Recorder events = new Recorder();
    try (SandboxPool pool = localPool(events, 1)) {
      CompletableFuture<Throwable> holder = CompletableFuture.supplyAsync(() -> failure(
          () -> pool.call(ContractTools::spin, Duration.ofSeconds(8))));
      long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (pool.stats().active() == 0 && System.nanoTime() < waitUntil) {
        Thread.sleep(50);
      }
      assertThat(pool.stats().active()).as("the first call holds the only worker").isEqualTo(1);

      Throwable saturated = failure(() -> pool.call(() -> 1, Duration.ofSeconds(1)));

      assertThat(saturated).isExactlyInstanceOf(PoolExhaustedException.class)
          .isNotInstanceOf(SandboxTimeoutException.class).isInstanceOf(AirlockException.class)
          .hasMessageContaining("airlock.pool.max-size");
      assertThat(holder.get(60, TimeUnit.SECONDS)).isInstanceOf(SandboxTimeoutException.class);
    }
    assertThat(events.calls()).containsExactlyInAnyOrder("start failed POOL_EXHAUSTED PoolExhaustedException",
        "start failed TIMEOUT SandboxTimeoutException");
  }

  @Test
  void refusalsBeforeAnyWorkerAreHeardWithTheirCause() {
    Recorder events = new Recorder();
    SandboxPool pool = localPool(events, 0);
    byte[] big = new byte[pool.config().maxPayloadBytes() + 1];
    Thread notShippable = new Thread(() -> { });
    assertThatThrownBy(() -> pool.call(() -> big.length)).isInstanceOf(PayloadTooLargeException.class);
    assertThatThrownBy(() -> pool.call(() -> notShippable.getName()))
        .isInstanceOf(UnshippableInvocationException.class);
    pool.close();
    assertThatThrownBy(() -> pool.call(() -> 1)).isExactlyInstanceOf(SandboxExecutionException.class)
        .hasMessageContaining("closed");

    assertThat(events.calls()).containsExactly("start failed REJECTED PayloadTooLargeException",
        "start failed REJECTED UnshippableInvocationException", "start failed CLOSED SandboxExecutionException");
    assertThat(pool.stats().workersStarted()).isZero();
  }

  @Test
  void withoutASandboxARequiredCallIsUnavailableAndAnOptionalOneFallsBackEitherWay() {
    Recorder events = new Recorder();
    AirlockConfig required = AirlockConfig.builder().sandboxRequired(true).build();
    try (SandboxPool pool = unreachablePool(required, events)) {
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxUnavailableException.class);
    }
    try (SandboxPool pool = unreachablePool(AirlockConfig.builder().sandboxRequired(false).build(), events)) {
      assertThat(pool.call(() -> 2)).isEqualTo(2);
      assertThatThrownBy(() -> pool.call(() -> {
        throw new IllegalArgumentException("on the host");
      })).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> pool.call(() -> {
        Thread.sleep(10_000);
        return 3;
      }, Duration.ofMillis(300))).isExactlyInstanceOf(HostCallTimeoutException.class)
          .isNotInstanceOf(SandboxTimeoutException.class);
    }
    assertThat(events.calls()).containsExactly("start failed UNAVAILABLE SandboxUnavailableException",
        "start end FALLBACK", "start failed FALLBACK IllegalArgumentException",
        "start failed FALLBACK HostCallTimeoutException");
  }

  @Test
  void aListenerThatThrowsChangesNothingForTheCallNorForTheListenersAfterIt() {
    Recorder events = new Recorder();
    ExecutionListener broken = new ExecutionListener() {
      @Override
      public void callStart(Call call) {
        throw new IllegalStateException("listener bug at start");
      }

      @Override
      public void onExecution(Event event) {
        throw new IllegalStateException("listener bug at end");
      }
    };
    try (SandboxPool pool = unreachablePool(AirlockConfig.builder().sandboxRequired(false).build(), broken,
        events)) {
      assertThat(pool.call(() -> 5)).isEqualTo(5);
      assertThatThrownBy(() -> pool.call(() -> {
        throw new IllegalArgumentException("the tool's own");
      })).isInstanceOf(IllegalArgumentException.class).hasMessage("the tool's own");
    }
    assertThat(events.calls()).containsExactly("start end FALLBACK", "start failed FALLBACK IllegalArgumentException");
  }

  @Test
  void aListenerOfOnlyOutcomesHearsEveryEnd() {
    List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    ExecutionListener outcomesOnly = new ExecutionListener() {
      @Override
      public void onExecution(Event event) {
        outcomes.add(event.outcome());
      }
    };
    try (SandboxPool pool = unreachablePool(AirlockConfig.builder().sandboxRequired(false).build(), outcomesOnly)) {
      pool.call(() -> 1);
      assertThatThrownBy(() -> pool.call(() -> {
        throw new IllegalArgumentException();
      }));
    }
    assertThat(outcomes).containsExactly(Outcome.FALLBACK, Outcome.FALLBACK);
  }

  private static SandboxPool localPool(ExecutionListener listener, int minSize) {
    return SandboxPool.builder(AirlockConfig.builder().build()).backend("local").minSize(minSize).maxSize(1)
        .listener(listener).build();
  }

  private static SandboxPool unreachablePool(AirlockConfig config, ExecutionListener... listeners) {
    SandboxPool.Builder builder = SandboxPool.builder(config).minSize(0).backend("unreachable", () -> {
      throw new SandboxUnavailableException("no backend in this test");
    });
    for (ExecutionListener listener : listeners) {
      builder.listener(listener);
    }
    return builder.build();
  }

  private static Throwable failure(Runnable call) {
    try {
      call.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  /** Every event with the thread it came on, so concurrent calls can be paired per thread. */
  private static final class Recorder implements ExecutionListener {
    private final List<Map.Entry<Long, String>> events = new CopyOnWriteArrayList<>();
    final List<Event> ends = new CopyOnWriteArrayList<>();

    @Override
    public void callStart(Call call) {
      record("start");
    }

    @Override
    public void callEnd(Event event) {
      ends.add(event);
      record("end " + event.outcome());
    }

    @Override
    public void callFailed(Event event, Throwable failure) {
      ends.add(event);
      record("failed " + event.outcome() + " " + failure.getClass().getSimpleName());
    }

    @Override
    public void onExecution(Event event) {
      throw new AssertionError("callEnd and callFailed are overridden; onExecution must not be reached");
    }

    private void record(String what) {
      events.add(Map.entry(Thread.currentThread().getId(), what));
    }

    /**
     * One line per call, "start" and its one end, in the order the calls started; fails when a thread's events are
     * not start, end, start, end, ...
     */
    List<String> calls() {
      List<String> calls = new ArrayList<>();
      Map<Long, Integer> slot = new LinkedHashMap<>();
      for (Map.Entry<Long, String> event : events) {
        if (event.getValue().equals("start")) {
          assertThat(slot).as("a second start before the first call's end").doesNotContainKey(event.getKey());
          slot.put(event.getKey(), calls.size());
          calls.add("start");
        } else {
          Integer at = slot.remove(event.getKey());
          assertThat(at).as("an end without a start: " + event.getValue()).isNotNull();
          calls.set(at, calls.get(at) + " " + event.getValue());
        }
      }
      assertThat(slot).as("calls that started and never ended").isEmpty();
      return calls;
    }
  }
}
