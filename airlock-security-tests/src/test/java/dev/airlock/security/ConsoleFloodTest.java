package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14 item 3: guest code writes straight to the worker process's own stderr (the console the host drains),
 * 64 MiB without a newline. Read as whole lines, that was one 64 Mi-char string on the host (hundreds of MiB
 * allocated; with more, the host heap exhausted). The host must read at most its console bound and then close its
 * end, so the guest's writes fail instead of costing the host memory or CPU.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConsoleFloodTest {
  private static final int FLOOD_MIB = 64;

  @Test
  void aConsoleFloodWithoutNewlinesCostsTheHostABoundedAmount() {
    AirlockConfig config = AirlockConfig.builder().backend("local")
        .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(60).build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).build()) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
      long before = allocatedByAllThreads();

      String outcome = pool.call(ConsoleFloodTest::floodStderr);

      long allocated = allocatedByAllThreads() - before;
      assertThat(allocated).as("host allocation while the guest wrote %d MiB to its console: %s", FLOOD_MIB,
          HostMemory.mib(allocated)).isLessThan(32L * 1024 * 1024);
      assertThat(outcome).as("the host closed the console after its bound").startsWith("stopped after");
      assertThat(pool.call(() -> 2)).isEqualTo(2);
      assertThat(pool.stats().fallbacks()).isZero();
    }
    assertThat(WorkerProcesses.descendants()).isEmpty();
  }

  private static String floodStderr() {
    FileOutputStream console = new FileOutputStream(FileDescriptor.err);
    byte[] chunk = new byte[1024 * 1024];
    Arrays.fill(chunk, (byte) 'x');
    for (int i = 0; i < FLOOD_MIB; i++) {
      try {
        console.write(chunk);
      } catch (IOException e) {
        return "stopped after " + i + " MiB: " + e.getMessage();
      }
    }
    return "wrote all " + FLOOD_MIB + " MiB";
  }

  private static long allocatedByAllThreads() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
  }
}
