package dev.airlock.spring;

import dev.airlock.ExecutionListener;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * DOWN while sandboxing is required and the default backend cannot be had, or while a backend's latest call was
 * refused for want of a sandbox (an UNAVAILABLE outcome happens only where sandboxing is required); details show each
 * pool's occupancy and enforced controls.
 */
public final class AirlockHealthIndicator extends AbstractHealthIndicator implements ExecutionListener {
  private final AirlockPools pools;
  private final Map<String, Outcome> latestByBackend = new ConcurrentHashMap<>();

  public AirlockHealthIndicator(AirlockPools pools) {
    super("Airlock health check failed");
    this.pools = pools;
  }

  @Override
  public void onExecution(Event event) {
    latestByBackend.put(event.backend(), event.outcome());
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    builder.up();
    latestByBackend.forEach((backend, outcome) -> {
      if (outcome == Outcome.UNAVAILABLE) {
        builder.down().withDetail("unavailable", backend);
      }
    });
    builder.withDetail("backend", pools.config().backend())
        .withDetail("sandboxRequired", pools.config().sandboxRequired());
    // The default pool is the one calls will use, so its backend is probed even before the first call.
    pools.pool(pools.config().backend(), pools.config().memoryMb());
    for (SandboxPool pool : pools.pools()) {
      builder.withDetail("pool." + pool.backendName(),
          Map.of("stats", pool.stats(), "posture", posture(pool, builder)));
    }
  }

  private Object posture(SandboxPool pool, Health.Builder builder) {
    try {
      return pool.posture().describe();
    } catch (SandboxUnavailableException e) {
      if (pools.config().sandboxRequired()) {
        builder.down().withDetail("unavailable", pool.backendName());
      }
      return "unavailable: " + e.getMessage();
    }
  }
}
