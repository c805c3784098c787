package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.IsolationPosture;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LocalBackendTest {

  private static AirlockConfig withMissingJava(boolean required) {
    return AirlockConfig.builder().localJava("/nonexistent/jdk/bin/java").poolMinSize(0).poolMaxSize(1)
        .sandboxRequired(required).build();
  }

  @Test
  void aMissingJavaMakesTheBackendUnavailableNamingTheKey() {
    assertThatThrownBy(() -> new LocalBackend(withMissingJava(true)))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("/nonexistent/jdk/bin/java")
        .hasMessageContaining("airlock.local.java");
  }

  @Test
  void fallsBackToTheHostWhenTheBackendIsUnavailable() {
    try (SandboxPool pool = SandboxPool.builder(withMissingJava(false)).build()) {
      assertThat(pool.call(() -> AirlockRuntime.isSandboxed() ? "sandbox" : "host")).isEqualTo("host");
      assertThat(pool.stats().fallbacks()).isEqualTo(1);
      assertThat(pool.stats().totalExecutions()).isZero();
    }
  }

  @Test
  void refusesWhenTheSandboxIsRequired() {
    try (SandboxPool pool = SandboxPool.builder(withMissingJava(true)).build()) {
      assertThatThrownBy(() -> pool.call(() -> "never"))
          .isInstanceOf(SandboxUnavailableException.class)
          .hasMessageContaining("requires a sandbox")
          .hasMessageContaining("airlock.local.java");
      assertThat(pool.stats().fallbacks()).isZero();
    }
  }

  @Test
  void aClosedPoolNeverFallsBackToTheHost() {
    AirlockConfig notRequired = AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).sandboxRequired(false).build();
    SandboxPool pool = SandboxPool.builder(notRequired).build();
    pool.close();
    assertThatThrownBy(() -> pool.call(() -> "ran on the host"))
        .isExactlyInstanceOf(dev.airlock.SandboxExecutionException.class)
        .hasMessageContaining("closed");
    assertThat(pool.stats().fallbacks()).isZero();
  }

  @Test
  void isolationNoneSaysWhatItDoesNotEnforce() {
    AirlockConfig none = AirlockConfig.builder().localIsolation(AirlockConfig.LocalIsolation.NONE).build();
    LocalBackend backend = new LocalBackend(none);
    try {
      IsolationPosture posture = backend.posture();
      assertThat(posture.enforces("network")).isFalse();
      assertThat(posture.enforces("filesystem")).isFalse();
      assertThat(posture.isolating()).as("a plain child JVM does not isolate").isFalse();
      assertThat(posture.control("processes").orElseThrow().how()).contains("NOT ISOLATED");
      assertThat(posture.enforces("environment")).isTrue();
      assertThat(posture.describe()).contains("NOT ENFORCED");
    } finally {
      backend.close();
    }
  }

  @Test
  void plainChildJvmStillRunsCallsWithAClearedEnvironment() {
    AirlockConfig none = AirlockConfig.builder().localIsolation(AirlockConfig.LocalIsolation.NONE)
        .poolMinSize(0).poolMaxSize(1).sandboxRequired(false).build();
    try (SandboxPool pool = SandboxPool.builder(none).build()) {
      assertThat(pool.call(() -> AirlockRuntime.isSandboxed() + " " + System.getenv("AIRLOCK_TEST_SECRET")))
          .isEqualTo("true null");
      assertThat(pool.stats().fallbacks()).isZero();
    }
  }

  @Test
  void closesIdleWorkersAfterTheIdleTimeoutAndReplacesDeadOnes() throws Exception {
    AirlockConfig config = AirlockConfig.builder().poolMinSize(0).poolMaxSize(2).poolReuse(true)
        .poolIdleTimeout(java.time.Duration.ofSeconds(1)).sandboxRequired(true).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
      assertThat(pool.stats().idle()).isEqualTo(1);
      long deadline = System.nanoTime() + 15_000_000_000L;
      while (pool.stats().idle() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(pool.stats().idle()).as("idle worker closed after its idle timeout").isZero();

      assertThat(pool.call(() -> 2)).isEqualTo(2);
      ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
      Thread.sleep(500);
      assertThat(pool.call(() -> 3)).as("a dead idle worker is replaced, not used").isEqualTo(3);
      assertThat(pool.stats().workersStarted()).isEqualTo(3);
    }
  }

  @Test
  void strictIsolationReportsNamespaces() {
    AirlockConfig strict = AirlockConfig.builder().localIsolation(AirlockConfig.LocalIsolation.STRICT).build();
    LocalBackend backend = new LocalBackend(strict);
    try {
      assertThat(backend.posture().enforces("network")).isTrue();
      assertThat(backend.posture().control("filesystem").orElseThrow().how()).contains("read-only binds");
    } finally {
      backend.close();
    }
  }

  @Test
  void everyPostureLineOfABubblewrapWorkerIsMeasuredAndHolds() {
    AirlockConfig strict = AirlockConfig.builder().localIsolation(AirlockConfig.LocalIsolation.STRICT).build();
    LocalBackend backend = new LocalBackend(strict);
    try {
      IsolationPosture posture = backend.posture();
      assertThat(posture.isolating()).isTrue();
      for (String control : java.util.List.of("network", "filesystem", "tmp", "processes", "terminals", "core",
          "host-user", "syscalls", "environment", "memory", "pids", "cpu")) {
        assertThat(posture.control(control)).as(control).hasValueSatisfying(c -> {
          assertThat(c.enforced()).as(c.toString()).isTrue();
          assertThat(c.how()).as(c.toString()).startsWith("measured: ");
        });
      }
      assertThat(posture.control("tmp").orElseThrow().how()).contains("noexec", "nosuid", "size=");
    } finally {
      backend.close();
    }
  }
}
