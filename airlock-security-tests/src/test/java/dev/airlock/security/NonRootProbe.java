package dev.airlock.security;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.util.concurrent.CountDownLatch;

/**
 * Run by {@link NoGuestInducedFallbackTest} as uid 65534 (no writable cgroups; the pids limit is set inside the worker):
 * holds more threads than the limit, as a busy host or an earlier call's leftovers would, then makes one call that
 * is not required and prints where it ran and the pool's fallback count.
 */
public final class NonRootProbe {

  public static void main(String[] args) throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    for (int i = 0; i < 48; i++) {
      Thread held = new Thread(() -> {
        try {
          never.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      held.setDaemon(true);
      held.start();
    }
    AirlockConfig config = AirlockConfig.builder().backend("local").pidsLimit(32).sandboxRequired(false)
        .timeoutSeconds(20).localClassCache("off").build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).build()) {
      System.out.println("POSTURE pids " + pool.posture().control("pids")
          .map(c -> (c.enforced() ? "enforced " : "NOT ENFORCED ") + c.how()).orElse("?"));
      String outcome;
      try {
        outcome = pool.call(NoGuestInducedFallbackTest::where);
      } catch (RuntimeException e) {
        outcome = e.getClass().getName() + ": " + e.getMessage();
      }
      System.out.println("OUTCOME " + outcome);
      System.out.println("FALLBACKS " + pool.stats().fallbacks());
    }
    System.exit(0);
  }
}
