package dev.airlock.spring;

import dev.airlock.ExecutionListener;
import dev.airlock.SandboxPool;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * DOWN while a backend's latest call was refused for want of a sandbox (an UNAVAILABLE outcome happens only where
 * sandboxing is required); details show each pool's occupancy and enforced controls.
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
    for (SandboxPool pool : pools.pools()) {
      builder.withDetail("pool." + pool.backendName(), Map.of("stats", pool.stats(),
          "posture", pool.posture().describe()));
    }
  }
}
