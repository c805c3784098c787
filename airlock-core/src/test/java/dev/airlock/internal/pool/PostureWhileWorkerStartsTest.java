package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockConfig.LocalIsolation;
import dev.airlock.IsolationPosture;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.PostureInProgress;
import dev.airlock.internal.local.LocalBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, target 3: a fresh JVM's first call starts its worker while the local backend still measures its posture
 * (each about 100 ms), and is admitted against the measured posture before anything is shipped. A call the measured
 * posture refuses never reaches its worker, and once the posture is known such a call starts no worker at all.
 */
@Timeout(120)
class PostureWhileWorkerStartsTest {
  /** Set only if a refused call ran on the host: a static, so the call captures nothing. */
  private static final AtomicBoolean RAN = new AtomicBoolean();

  @Test
  void aRequiredCallStartsItsWorkerWhileThePostureIsStillMeasured() {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(0).poolReuse(false).build();
    LatePosture backend = new LatePosture(new LocalBackend(config));
    try (SandboxPool pool = SandboxPool.builder(config).backend("local", () -> backend).build()) {
      assertThat(pool.call(() -> 6 * 7)).isEqualTo(42);
    }
    assertThat(backend.events).as("the worker started before the posture was read").startsWith("launch", "posture");
  }

  @Test
  void aRequiredCallThatTheLatePostureRefusesNeverReachesItsWorker() throws InterruptedException {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(0).poolReuse(false)
        .localIsolation(LocalIsolation.NONE).build();
    LatePosture backend = new LatePosture(new LocalBackend(config));
    try (SandboxPool pool = SandboxPool.builder(config).backend("local", () -> backend).build()) {
      assertThatThrownBy(() -> pool.call(() -> RAN.getAndSet(true)))
          .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("does not isolate");
      assertThat(pool.stats().totalExecutions()).as("calls that reached a worker").isZero();
      assertThat(backend.launched).hasSize(1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (backend.launched.get(0).isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(backend.launched.get(0).isAlive()).as("the refused call's worker is gone").isFalse();
    }
    assertThat(RAN).as("ran on the host").isFalse();
  }

  @Test
  void aRequiredCallThatTheMeasuredPostureRefusesStartsNoWorker() {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(0).poolReuse(false)
        .localIsolation(LocalIsolation.NONE).build();
    LocalBackend local = new LocalBackend(config);
    assertThat(local.posture().isolating()).isFalse();
    Recording backend = new Recording(local);
    try (SandboxPool pool = SandboxPool.builder(config).backend("local", () -> backend).build()) {
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxUnavailableException.class);
      }
    }
    assertThat(backend.launched).isEmpty();
  }

  /** Records launches, and says whether the posture is measured as the local backend does. */
  private static class Recording extends ForwardingBackend implements PostureInProgress {
    final LocalBackend local;
    final List<WorkerHandle> launched = new CopyOnWriteArrayList<>();
    final List<String> events = new CopyOnWriteArrayList<>();

    Recording(LocalBackend local) {
      super(local);
      this.local = local;
    }

    @Override
    public IsolationPosture posture() {
      events.add("posture");
      return super.posture();
    }

    @Override
    public boolean postureMeasured() {
      return local.postureMeasured();
    }

    @Override
    public WorkerHandle launch(WorkerSpec spec) {
      events.add("launch");
      WorkerHandle worker = super.launch(spec);
      launched.add(worker);
      return worker;
    }
  }

  /**
   * A posture that is measured only once a worker has started, as a slow probe's is: read before any launch, it
   * fails the call after 20 s.
   */
  private static final class LatePosture extends Recording {
    private final CountDownLatch started = new CountDownLatch(1);

    LatePosture(LocalBackend delegate) {
      super(delegate);
    }

    @Override
    public IsolationPosture posture() {
      try {
        if (!started.await(20, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the posture was read before any worker started");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return super.posture();
    }

    @Override
    public boolean postureMeasured() {
      return started.getCount() == 0 && super.postureMeasured();
    }

    @Override
    public WorkerHandle launch(WorkerSpec spec) {
      WorkerHandle worker = super.launch(spec);
      started.countDown();
      return worker;
    }
  }
}
