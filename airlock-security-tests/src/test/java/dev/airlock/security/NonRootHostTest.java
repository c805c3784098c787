package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.IsolationPosture;
import dev.airlock.SandboxPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14 item 4: a host run by an unprivileged user without a writable cgroup. {@code prlimit --nproc} counted every
 * thread of that user, so a host (or a first call) holding more threads than the pids limit made the next worker fail
 * to start, and the posture called pids enforced. Now the limit is set inside the worker's own user namespace, where
 * it counts only the worker's threads (measured, so pids is enforced again, {@code GuestProcessCountTest}). Run for
 * real: a host JVM as uid 65534 through {@code setpriv}.
 */
@Timeout(180)
class NonRootHostTest {
  static final int HOST_THREADS = 300;

  @Test
  void aWorkerStartsWhenTheUserHasManyThreadsAndPidsIsReportedNotEnforced() throws Exception {
    String out = NonRootJvm.run(NonRootHost.class);

    assertThat(out).as(out).contains("user threads > " + HOST_THREADS).doesNotContain("failed: ");
    assertThat(out).as(out).contains("call: sandboxed in a worker");
    // pids: RLIMIT_NPROC set inside the worker's own user namespace, which counts none of the host's 300 threads.
    assertThat(out).as(out).contains("pids enforced: true").contains("memory enforced: false");
    assertThat(out).as(out).contains("isolating: true").contains("fallbacks: 0");
    assertThat(out).as("strict needs cgroup memory").contains("strict: refused: ")
        .contains("run as root").contains("use the Docker backend");
  }

  /** The host JVM the test runs as uid 65534. */
  public static final class NonRootHost {
    public static void main(String[] args) throws Exception {
      for (int i = 0; i < HOST_THREADS; i++) {
        Thread t = new Thread(() -> {
          try {
            Thread.sleep(600_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        t.setDaemon(true);
        t.start();
      }
      System.out.println("user threads > " + HOST_THREADS);
      AirlockConfig config = AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).sandboxRequired(true)
          .localClassCache("off").build();
      try (SandboxPool pool = SandboxPool.builder(config).build()) {
        IsolationPosture posture = pool.posture();
        System.out.println(posture.describe());
        System.out.println("pids enforced: " + posture.enforces("pids"));
        System.out.println("memory enforced: " + posture.enforces("memory"));
        System.out.println("isolating: " + posture.isolating());
        System.out.println("call: " + pool.call(() -> AirlockRuntime.isSandboxed() ? "sandboxed in a worker"
            : "ran on the host"));
        System.out.println("fallbacks: " + pool.stats().fallbacks());
      } catch (RuntimeException e) {
        System.out.println("failed: " + e);
        System.exit(1);
      }
      AirlockConfig strict = AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).localClassCache("off")
          .localIsolation(AirlockConfig.LocalIsolation.STRICT).build();
      try (SandboxPool pool = SandboxPool.builder(strict).build()) {
        System.out.println("strict: started, posture " + pool.posture().describe());
      } catch (RuntimeException e) {
        System.out.println("strict: refused: " + e.getMessage());
      }
      System.exit(0);
    }
  }
}
