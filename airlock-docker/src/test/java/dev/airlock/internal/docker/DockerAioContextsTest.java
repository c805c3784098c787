package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.IsolationPosture.Control;
import dev.airlock.SandboxPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 24: the engine's default seccomp profile allows {@code io_setup}, and the kernel counts AIO events
 * host-wide ({@code fs.aio-max-nr}, 65536 by default): a process that holds them all makes every other process on
 * the host fail to make an AIO context. A guest needs no native code of its own: it starts a JVM of the image with the
 * JDK's foreign function API enabled and calls libc's {@code syscall}. By hand, 64 contexts of 1024 events took all
 * 65536 of the host's, and the posture said nothing of it. Containers now run under Airlock's own profile
 * ({@link DockerSeccompProfile}); what a guest's child JVM gets from the kernel under it is
 * {@code GuestAttackSuite#theGuestGetsNoHugePagesAioContextsOrIoUring}, run for this backend by the security tests.
 */
@Timeout(120)
class DockerAioContextsTest {

  @Test
  void thePostureNamesAirlocksProfileOnAnEngineWithSeccomp() {
    DockerTestEngine.require();
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config()).minSize(0).maxSize(1).build()) {
      Control syscalls = pool.posture().control("syscalls").orElseThrow();
      assertThat(syscalls.enforced()).as(syscalls.toString()).isTrue();
      assertThat(syscalls.how()).contains("Airlock's seccomp profile", "AIO", "huge pages");
    }
  }
}
