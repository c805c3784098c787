package dev.airlock.security;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;

/**
 * Run by {@link ReuseHijackTest} as uid 65534: bubblewrap namespaces but no cgroup, so the idle proof reads every
 * thread's children instead of {@code cgroup.procs}. Prints what it saw, one fact a line.
 */
public final class NonRootReuseProbe {

  public static void main(String[] args) {
    AirlockConfig config = AirlockConfig.builder().backend("local").timeoutSeconds(30).localClassCache("off")
        .build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(true).build()) {
      System.out.println("POSTURE " + pool.posture().describe().replace('\n', ' '));
      String first = pool.call(ReuseHijackTest::workerIdentity);
      System.out.println("CLEAN-REUSED " + first.equals(pool.call(ReuseHijackTest::workerIdentity)));
      pool.call(ReuseHijackTest::plantChannelThief);
      boolean own = true;
      for (int i = 0; i < 4; i++) {
        String tag = "call-" + i;
        own &= tag.equals(pool.call(() -> tag));
      }
      System.out.println("EACH-ANSWERED-BY-ITSELF " + own);
      String beforeChild = pool.call(ReuseHijackTest::workerIdentity);
      pool.call(ReuseHijackTest::leaveAChildProcess);
      System.out.println("REPLACED-AFTER-CHILD " + !beforeChild.equals(pool.call(ReuseHijackTest::workerIdentity)));
      System.out.println("STARTED " + pool.stats().workersStarted());
    } catch (RuntimeException e) {
      System.out.println("FAILED " + e);
    }
    System.exit(0);
  }
}
