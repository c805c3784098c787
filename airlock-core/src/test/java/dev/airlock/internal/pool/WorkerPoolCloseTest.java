package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.local.LocalBackend;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pool closed while a warm worker is still starting must not close the backend under it: for Docker and the cloud
 * backends that left a running container or VM behind (a CI run saw the image "in use by a running container" right
 * after close returned).
 */
@Timeout(60)
class WorkerPoolCloseTest {

  @Test
  void closeWaitsForAWorkerStillStartingAndKillsItBeforeClosingTheBackend() throws Exception {
    GatedBackend backend = new GatedBackend(new LocalBackend(AirlockConfig.builder().build()));
    WorkerPool pool = new WorkerPool(() -> backend, 1, 2, Duration.ofMinutes(1), true, 64, 1 << 20);

    assertThat(backend.launchEntered.await(20, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(pool::close);
    Thread.sleep(300);
    assertThat(closing).as("close() returned while a worker was still starting").isNotDone();
    assertThat(backend.closed).isFalse();

    backend.gate.countDown();
    closing.get(40, TimeUnit.SECONDS);

    assertThat(backend.launched).hasSize(1);
    WorkerHandle worker = backend.launched.get(0);
    assertThat(worker.isAlive()).as("the worker started during close is killed").isFalse();
    assertThat(backend.events).containsExactly("launched " + worker.id(), "closed");
  }

  /** Holds the first launch until the test opens the gate; records what happened, in order. */
  private static final class GatedBackend extends ForwardingBackend {
    final CountDownLatch launchEntered = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);
    final List<WorkerHandle> launched = new CopyOnWriteArrayList<>();
    final List<String> events = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    GatedBackend(SandboxBackend delegate) {
      super(delegate);
    }

    @Override
    public WorkerHandle launch(WorkerSpec spec) {
      launchEntered.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      WorkerHandle handle = delegate.launch(spec);
      launched.add(handle);
      events.add("launched " + handle.id());
      return handle;
    }

    @Override
    public void close() {
      closed = true;
      for (WorkerHandle handle : launched) {
        if (handle.isAlive()) {
          events.add("closed with " + handle.id() + " alive");
        }
      }
      events.add("closed");
      delegate.close();
    }
  }
}
