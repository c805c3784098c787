package dev.airlock.spring;

import dev.airlock.AirlockApprovals;
import dev.airlock.ExecutionListener;
import dev.airlock.PoolStats;
import dev.airlock.internal.intercept.AirlockInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Locale;
import java.util.function.ToIntFunction;

/**
 * Micrometer view of Airlock: a timer per call outcome ({@code airlock.executions}, tagged with every
 * {@link ExecutionListener.Outcome}, refusals before any worker included), a fallback counter, pool occupancy gauges,
 * the guard's audit counts per outcome ({@code airlock.guard.calls}: success, blocked, error, pending), and the
 * approval steps per outcome ({@code airlock.approvals}).
 */
public final class AirlockMetrics implements ExecutionListener {
  private final MeterRegistry registry;
  private final Counter fallbacks;

  /** With the guard's audit counts too; the interceptor is internal, so only the auto-configuration makes these. */
  AirlockMetrics(MeterRegistry registry, AirlockPools pools, AirlockInterceptor interceptor) {
    this(registry, pools);
    for (String outcome : List.of("success", "blocked", "error", "pending")) {
      FunctionCounter.builder("airlock.guard.calls", interceptor,
          i -> i.auditLog().counts().getOrDefault(outcome, 0L))
          .description("Guarded @Airlock calls by outcome, as audited").tag("outcome", outcome).register(registry);
    }
  }

  /** With the approval steps too. */
  AirlockMetrics(MeterRegistry registry, AirlockPools pools, AirlockInterceptor interceptor,
      AirlockApprovals approvals) {
    this(registry, pools, interceptor);
    for (String outcome : List.of("suspended", "approved", "edited", "denied", "timeout", "expired", "full",
        "refused")) {
      FunctionCounter.builder("airlock.approvals", approvals, a -> a.counts().getOrDefault(outcome, 0L))
          .description("Approval steps of @Airlock calls by outcome, as audited").tag("outcome", outcome)
          .register(registry);
    }
  }

  public AirlockMetrics(MeterRegistry registry, AirlockPools pools) {
    this.registry = registry;
    this.fallbacks = Counter.builder("airlock.fallbacks")
        .description("Calls that ran on the host because no sandbox could be had").register(registry);
    gauge("airlock.pool.active", "Workers running a call", pools, PoolStats::active);
    gauge("airlock.pool.idle", "Warm workers waiting for a call", pools, PoolStats::idle);
  }

  private void gauge(String name, String description, AirlockPools pools, ToIntFunction<PoolStats> stat) {
    Gauge.builder(name, pools, p -> p.pools().stream().mapToInt(pool -> stat.applyAsInt(pool.stats())).sum())
        .description(description).register(registry);
  }

  @Override
  public void onExecution(Event event) {
    Timer.builder("airlock.executions").description("Calls of @Airlock methods")
        .tag("backend", event.backend()).tag("method", event.method())
        .tag("outcome", event.outcome().name().toLowerCase(Locale.ROOT))
        .register(registry).record(event.duration());
    if (event.outcome() == Outcome.FALLBACK) {
      fallbacks.increment();
    }
  }
}
