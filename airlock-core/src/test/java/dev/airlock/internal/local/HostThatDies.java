package dev.airlock.internal.local;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;

/** A host JVM for {@link OrphanTest}: warms a pool, prints its workers' pids, then waits to be killed. */
public final class HostThatDies {

  private HostThatDies() {
  }

  public static void main(String[] args) throws Exception {
    AirlockConfig.LocalIsolation isolation = AirlockConfig.LocalIsolation.valueOf(args[0]);
    SandboxPool pool = SandboxPool.builder(AirlockConfig.builder().localIsolation(isolation).poolMinSize(2)
        .poolMaxSize(2).build()).build();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (pool.stats().idle() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    StringBuilder pids = new StringBuilder("workers");
    ProcessHandle.current().descendants().forEach(p -> pids.append(' ').append(p.pid()));
    System.out.println(pids);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
