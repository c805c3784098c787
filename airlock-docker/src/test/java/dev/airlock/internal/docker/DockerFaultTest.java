package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import com.github.dockerjava.api.model.Container;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine or a container failing under a pool: clear errors, no hang, and the pool recovers. */
@Timeout(180)
class DockerFaultTest {
  private static final Path DOCKERD_PID = Path.of("/var/run/docker.pid");

  @BeforeAll
  static void requireEngine() {
    DockerTestEngine.require();
  }

  @AfterEach
  void nothingLeftBehind() {
    assertThat(DockerTestEngine.containersOfThisJvm()).extracting(Container::getNames).isEmpty();
  }

  @Test
  void aContainerKilledFromOutsideMidCallIsACrashAndThePoolRecovers() throws Exception {
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config()).minSize(0).maxSize(1).build()) {
      CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> pool.call(() -> DockerAttacks.sleep(60_000)));
      Container running = awaitOneRunningContainer();
      awaitActiveCall(pool);
      DockerTestEngine.require().client().killContainerCmd(running.getId()).exec();

      assertThatThrownBy(() -> call.get(20, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(SandboxCrashedException.class)
          .hasMessageContaining("killed by signal 9");
      assertThat(pool.call(() -> 1 + 1)).isEqualTo(2);
      assertThat(pool.stats().crashes()).isEqualTo(1);
    }
  }

  /**
   * Stops the real daemon under a warm pool, then starts it again. Runs only where the test can restart the daemon
   * it stopped (root, a dockerd that wrote its pid file, the default socket): that is how CI runs it.
   */
  @Test
  void theDaemonStoppedUnderAWarmPoolGivesAClearErrorAndThePoolRecoversAfterRestart() throws Exception {
    long dockerd = restartableDaemon();
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config()).minSize(1).maxSize(1).reuse(true)
        .build()) {
      assertThat(pool.call(() -> "warm")).isEqualTo("warm");
      try {
        stopDaemon(dockerd);
        long start = System.nanoTime();
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> pool.call(() -> 40 + 2));
        assertThatThrownBy(() -> call.get(60, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause().isInstanceOf(SandboxUnavailableException.class)
            .hasMessageContaining("DOCKER_HOST")
            .hasMessageContaining("Start the Docker daemon");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
      } finally {
        startDaemon();
      }
      assertThat(pool.call(() -> 40 + 2)).isEqualTo(42);
    }
  }

  private static long restartableDaemon() throws IOException {
    String why = null;
    if (System.getenv("DOCKER_HOST") != null) {
      why = "DOCKER_HOST points at another engine";
    } else if (!"root".equals(System.getProperty("user.name"))) {
      why = "only root may stop and start dockerd";
    } else if (!Files.isReadable(DOCKERD_PID)) {
      why = "no " + DOCKERD_PID + " (dockerd is managed elsewhere)";
    } else if (Files.isDirectory(Path.of("/run/systemd/system")) && !isCi()) {
      why = "systemd manages dockerd on this machine";
    }
    if (why != null) {
      String reason = "this test stops and restarts the Docker daemon, which it cannot do here: " + why;
      if (isCi()) {
        fail(reason);
      }
      abort(reason);
    }
    return Long.parseLong(Files.readString(DOCKERD_PID).trim());
  }

  private static void stopDaemon(long pid) throws Exception {
    ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("dockerd " + pid + " gone"));
    daemon.destroy();
    daemon.onExit().get(60, TimeUnit.SECONDS);
  }

  /** Detached, so the daemon outlives this JVM like the one .ci/setup-docker.sh started. */
  private static void startDaemon() throws Exception {
    new ProcessBuilder("sh", "-c", "setsid nohup dockerd >>/var/log/airlock-dockerd.log 2>&1 &")
        .redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        DockerTestEngine.reconnect();
        return;
      } catch (org.opentest4j.TestAbortedException | AssertionError notYet) {
        if (System.nanoTime() > until) {
          throw new AssertionError("dockerd did not come back within 60 s; see /var/log/airlock-dockerd.log",
              notYet);
        }
        Thread.sleep(500);
      }
    }
  }

  private static boolean isCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  private static Container awaitOneRunningContainer() throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      List<Container> running = DockerTestEngine.workerContainersOfThisJvm().stream()
          .filter(c -> "running".equals(c.getState())).toList();
      if (running.size() == 1) {
        return running.get(0);
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no worker container started");
  }

  private static void awaitActiveCall(SandboxPool pool) throws InterruptedException {
    for (int i = 0; i < 300 && pool.stats().active() == 0; i++) {
      Thread.sleep(50);
    }
    assertThat(pool.stats().active()).as("call in flight").isEqualTo(1);
    Thread.sleep(500);
  }
}
