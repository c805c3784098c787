package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.SandboxPool;
import java.io.IOException;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 24 found, for the local backend too: a worker has a loopback of its own, and bytes a guest leaves in
 * connections to itself that it never reads sit in socket buffers, the host's kernel memory, which cgroup v1's memory
 * controller does not charge to the worker's limit unless the group has a TCP limit of its own. A guest queued 400
 * MiB of loopback TCP buffers beyond a 224 MiB limit while the posture said memory was enforced; UDP datagrams to its
 * own sockets, which no v1 limit counts, the same. UDP is now refused; the TCP buffers are named in the posture.
 */
@Timeout(120)
class LocalSocketMemoryTest {
  private static final int HEAP_MB = 32;

  @Test
  void aPostureThatEnforcesMemoryHoldsTheGuestsSocketBuffersToTheWorkersLimit() throws IOException {
    long limitBytes = (HEAP_MB + LocalBackend.NATIVE_HEADROOM_MB) << 20;
    // A quarter more than the whole worker may hold, and never so much that the host's TCP memory reaches half its
    // pressure threshold: past tcp_mem every TCP socket of the host would suffer.
    long target = Math.min(limitBytes * 5 / 4, LoopbackBuffers.tcpPagesBelowHalfThePressureThreshold() * 4096);
    AirlockConfig config = AirlockConfig.builder().memoryMb(HEAP_MB).poolMinSize(0).poolMaxSize(1).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      Control memory = pool.posture().control("memory").orElseThrow();
      long queued;
      try {
        queued = pool.call(() -> LoopbackBuffers.queueUnread(target));
      } catch (RuntimeException killed) {
        queued = 0;
      }
      if (queued >= limitBytes) {
        assertThat(memory.how()).as("a guest held %d MiB in socket buffers in a worker of %d MiB", queued >> 20,
            limitBytes >> 20).contains("TCP socket buffers NOT counted", "cgroup v1");
      } else if (memory.enforced()) {
        assertThat(queued).as("bytes a guest queued in loopback connections it never read, in a worker of %d MiB "
            + "whose posture says: %s", limitBytes >> 20, memory).isLessThan(limitBytes);
      }
      assertThat(target).as("this host's tcp_mem is too small for the test to mean anything").isGreaterThan(limitBytes);
    }
  }

  @Test
  void aGuestGetsNoIpDatagramSocket() {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(0).poolMaxSize(1).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      String answer = pool.call(LocalSocketMemoryTest::openDatagramSocket);

      assertThat(answer).contains("Operation not permitted");
      assertThat(pool.posture().control("syscalls").orElseThrow().how()).contains("UDP and vsock sockets");
    }
  }

  static String openDatagramSocket() {
    try (DatagramChannel channel = DatagramChannel.open()) {
      return "opened " + channel;
    } catch (IOException e) {
      return e.toString();
    }
  }
}
