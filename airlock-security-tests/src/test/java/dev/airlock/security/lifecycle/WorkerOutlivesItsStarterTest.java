package dev.airlock.security.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.security.WorkerProcesses;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * bubblewrap's {@code --die-with-parent} is {@code PR_SET_PDEATHSIG}, which Linux fires when the <em>thread</em> that
 * started the process ends, not the JVM. A local worker was started on whatever thread needed it (a caller's, or a
 * launcher thread that a cached pool ends after a minute idle), so when that thread ended the kernel killed the
 * worker: a reused worker in the middle of another thread's call, or a warm one waiting idle. A worker must live until
 * the pool ends it, whatever becomes of the thread that asked for it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WorkerOutlivesItsStarterTest {

  @Test
  void aReusedWorkerSurvivesTheEndOfTheThreadThatStartedIt() throws Exception {
    AirlockConfig config = AirlockConfig.builder().backend("local")
        .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(30).build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(true).build()) {
      CountDownLatch secondCallRunning = new CountDownLatch(1);
      Thread starter = new Thread(() -> pool.call(() -> 1), "starts-the-worker-then-ends");
      starter.start();
      starter.join();

      CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> {
        secondCallRunning.countDown();
        return pool.call(WorkerOutlivesItsStarterTest::workForTwoSeconds);
      });
      assertThat(secondCallRunning.await(10, TimeUnit.SECONDS)).isTrue();

      assertThat(second.get(60, TimeUnit.SECONDS)).as("the second call, in the worker the ended thread started")
          .isEqualTo("done");
      assertThat(pool.stats().workersStarted()).as("the worker was reused, not lost").isEqualTo(1);
      Thread.sleep(Duration.ofSeconds(1).toMillis());
      assertThat(pool.call(() -> 3)).isEqualTo(3);
      assertThat(pool.stats().workersStarted()).as("still the one worker").isEqualTo(1);
    }
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!WorkerProcesses.descendants().isEmpty() && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    assertThat(WorkerProcesses.descendants()).isEmpty();
  }

  static String workForTwoSeconds() throws InterruptedException {
    Thread.sleep(2000);
    return "done";
  }
}
