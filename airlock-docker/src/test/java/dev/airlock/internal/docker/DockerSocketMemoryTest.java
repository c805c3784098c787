package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.airlock.IsolationPosture.Control;
import dev.airlock.SandboxPool;
import dev.airlock.internal.local.LoopbackBuffers;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 24: a worker has a loopback of its own, and a guest can leave bytes in TCP connections to itself
 * that nobody reads. The kernel keeps them in socket buffers, which cgroup v1's memory controller does not charge to
 * the container's limit (cgroup v2 does): the buffers are the host's kernel memory, bounded only by the host-wide
 * {@code net.ipv4.tcp_mem}, past which every TCP socket on the host fails to allocate. The posture said the memory
 * limit was enforced on such an engine.
 */
@Timeout(120)
class DockerSocketMemoryTest {
  /** Heap of the worker; its container's limit is this plus {@link DockerBackend#NATIVE_HEADROOM_MB}. */
  private static final int HEAP_MB = 32;

  @Test
  void aPostureThatEnforcesMemoryHoldsTheGuestsSocketBuffersToTheContainersLimit() throws IOException {
    DockerTestEngine.require();
    long limitBytes = (HEAP_MB + DockerBackend.NATIVE_HEADROOM_MB) << 20;
    // A quarter more than the whole container may hold, and never so much that the host's TCP memory reaches half its
    // pressure threshold (the engine runs on this machine): past tcp_mem every TCP socket on the host would suffer.
    long target = Math.min(limitBytes * 5 / 4, LoopbackBuffers.tcpPagesBelowHalfThePressureThreshold() * 4096);
    assumeTrue(target > limitBytes, "this host's net.ipv4.tcp_mem is too small to hold more than a container's limit "
        + "without TCP memory pressure");
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config().toBuilder().memoryMb(HEAP_MB).build())
        .minSize(0).maxSize(1).build()) {
      Control memory = pool.posture().control("memory").orElseThrow();
      long queued;
      try {
        queued = pool.call(() -> LoopbackBuffers.queueUnread(target));
      } catch (RuntimeException killed) {
        // Killed by its memory limit: the buffers were counted.
        queued = 0;
      }
      if (queued > limitBytes) {
        assertThat(memory.enforced()).as("a guest held %d MiB in socket buffers in a container of %d MiB, and the "
            + "posture says: %s", queued >> 20, limitBytes >> 20, memory).isFalse();
        assertThat(memory.how()).contains("socket buffers NOT limited", "cgroup v1", "net.ipv4.tcp_mem");
      } else {
        assertThat(memory.enforced()).as(memory.toString()).isTrue();
      }
    }
  }
}
