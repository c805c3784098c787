package dev.airlock.spring;

import dev.airlock.AirlockConfig;
import dev.airlock.ExecutionListener;
import dev.airlock.SandboxPool;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The application's pools, one per backend and heap size, created on first use and closed with the context. */
public final class AirlockPools implements AutoCloseable {
  private final AirlockConfig config;
  private final ExecutionListener listener;
  private final Map<String, SandboxPool> pools = new ConcurrentHashMap<>();

  public AirlockPools(AirlockConfig config, ExecutionListener listener) {
    this.config = config;
    this.listener = listener;
  }

  public AirlockConfig config() {
    return config;
  }

  /** The pool for {@code backend} and a worker heap of {@code memoryMb}, created on first use. */
  public SandboxPool pool(String backend, int memoryMb) {
    return pools.computeIfAbsent(backend + "/" + memoryMb, key -> SandboxPool.builder(config)
        .backend(backend).memoryMb(memoryMb).listener(listener).build());
  }

  /** The pools created so far. */
  public List<SandboxPool> pools() {
    return List.copyOf(pools.values());
  }

  @Override
  public void close() {
    pools.values().forEach(SandboxPool::close);
    pools.clear();
  }
}
