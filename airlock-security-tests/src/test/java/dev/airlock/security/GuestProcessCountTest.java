package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.security.guest.GuestAttacks;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host run by an unprivileged user without a writable cgroup: the kernel counts the sandbox's threads as the host
 * user's ({@code RLIMIT_NPROC} is per user), so a guest starting threads took the host user's process limit, and the
 * host JVM could not start a thread while the call ran. Run for real: a host JVM as a uid of its own with a process
 * limit of {@value #USER_PROCESSES}, through {@code prlimit} and {@code setpriv}.
 */
@Timeout(180)
class GuestProcessCountTest {
  static final int USER_PROCESSES = 1500;

  @Test
  void aGuestsThreadsDoNotTakeTheHostUsersProcessLimit() throws Exception {
    String out = NonRootJvm.run(List.of("prlimit", "--nproc=" + USER_PROCESSES + ":" + USER_PROCESSES), 61_234,
        ThreadHungryGuestHost.class);

    assertThat(out).as(out).contains("guest threads: ").doesNotContain("failed: ");
    assertThat(out).as(out).contains("host threads refused: 0 ");
    int guestThreads = Integer.parseInt(out.replaceAll("(?s).*guest threads: (\\d+).*", "$1"));
    assertThat(guestThreads).as(out).isLessThan(AirlockConfig.builder().build().pidsLimit());
    assertThat(out).as(out).contains("pids enforced: true");
  }

  /** The host JVM: one call whose guest starts threads until refused and holds them; the host starts threads. */
  public static final class ThreadHungryGuestHost {
    public static void main(String[] args) throws Exception {
      AirlockConfig config = AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).sandboxRequired(true)
          .timeoutSeconds(60).localClassCache("off").build();
      try (SandboxPool pool = SandboxPool.builder(config).build()) {
        System.out.println("pids enforced: " + pool.posture().enforces("pids"));
        CompletableFuture<Integer> guest = CompletableFuture.supplyAsync(
            () -> pool.call(() -> GuestAttacks.startThreadsAndHold(5_000, 8_000)));
        AtomicInteger refused = new AtomicInteger();
        int tries = 0;
        String lastRefusal = "";
        while (!guest.isDone()) {
          tries++;
          try {
            Thread t = new Thread(() -> { });
            t.start();
            t.join();
          } catch (OutOfMemoryError e) {
            refused.incrementAndGet();
            lastRefusal = e.toString();
          }
          Thread.sleep(100);
        }
        System.out.println("host threads refused: " + refused + " of " + tries + " " + lastRefusal);
        System.out.println("guest threads: " + guest.join());
      } catch (RuntimeException e) {
        System.out.println("failed: " + e);
        System.exit(1);
      }
      System.exit(0);
    }
  }
}
