package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.IsolationPosture;
import dev.airlock.PoolExhaustedException;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.internal.worker.ClasspathFingerprint;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool with its drivers, over in-memory workers (piped streams, a scripted fake worker speaking the real frames)
 * and a launcher whose tasks the test runs one by one: the interleavings that broke max-size under CI load are forced
 * here by the order the test runs kills and warm starts in, not by timing. {@code LoadTest} stays the end-to-end check.
 */
@Timeout(60)
class WorkerPoolInterleavingTest {
  private static final Object A = "scope A";
  private static final Object B = "scope B";

  private final ManualExecutor launcher = new ManualExecutor();
  private final InMemoryBackend backend = new InMemoryBackend();
  private WorkerPool pool;

  @AfterEach
  void closePool() throws Exception {
    if (pool != null) {
      CompletableFuture<Void> closing = CompletableFuture.runAsync(pool::close);
      while (!closing.isDone()) {
        launcher.runNextWithin(Duration.ofMillis(50));
      }
      closing.get();
    }
    assertThat(backend.live).as("no worker outlives its pool").hasValue(0);
  }

  private WorkerPool pool(int min, int max, boolean reuse) {
    pool = new WorkerPool(() -> backend, min, max, Duration.ofMinutes(10), reuse, 64, 1 << 20, launcher);
    return pool;
  }

  private static long in(Duration d) {
    return System.nanoTime() + d.toNanos();
  }

  /** 668e539: between leaving busy and being counted as dying, a single-use worker's slot looked free. */
  @Test
  void aSingleUseWorkerHoldsItsSlotUntilItsKillHasRun() {
    WorkerPool pool = pool(0, 1, false);
    WorkerSession first = pool.acquire(in(Duration.ofSeconds(10)), A);

    pool.release(first);

    assertThat(launcher.queued()).as("its kill is handed off, not run on the caller's thread").isEqualTo(1);
    assertThatThrownBy(() -> pool.acquire(in(Duration.ofMillis(300)), A))
        .isInstanceOf(PoolExhaustedException.class).hasMessageContaining("max-size");
    assertThat(backend.launched).hasSize(1);

    launcher.runNext();
    WorkerSession second = pool.acquire(in(Duration.ofSeconds(10)), A);

    assertThat(second).isNotSameAs(first);
    assertThat(backend.peakLive).as("never two JVMs in a pool of one").hasValue(1);
  }

  /**
   * Issue 15: the kill of a used single-use worker ran beside its caller's audit. While another worker waits idle, the
   * kill waits {@link WorkerPool#AFTER_CALL_PAUSE} first; the slot stays counted meanwhile.
   */
  @Test
  void aUsedSingleUseWorkerIsKilledAfterThePauseWhileAnotherWaitsIdle() throws Exception {
    WorkerPool pool = pool(2, 3, false);
    launcher.awaitQueued(1);
    launcher.runNext();
    WorkerSession used = pool.acquire(in(Duration.ofSeconds(10)), A);

    pool.release(used);

    assertThat(launcher.queued()).as("the kill, then the replacement's start").isEqualTo(2);
    assertThat(used.usable()).as("not killed on the caller's thread").isTrue();
    long start = System.nanoTime();
    launcher.runNext();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(WorkerPool.AFTER_CALL_PAUSE);
    assertThat(used.usable()).isFalse();
    assertThat(backend.live).as("the replacement is not started yet").hasValue(1);
  }

  /** 1441d8d: an idle worker of another scope, discarded to make room, stopped counting before its kill ran. */
  @Test
  void anIdleWorkerDiscardedForAnotherScopeHoldsItsSlotUntilItsKillHasRun() {
    WorkerPool pool = pool(0, 1, true);
    WorkerSession forA = pool.acquire(in(Duration.ofSeconds(10)), A);
    pool.release(forA);
    assertThat(pool.acquire(in(Duration.ofSeconds(10)), A)).as("proven idle: reused by its scope").isSameAs(forA);
    pool.release(forA);

    assertThatThrownBy(() -> pool.acquire(in(Duration.ofMillis(300)), B)).isInstanceOf(PoolExhaustedException.class);
    assertThat(backend.launched).hasSize(1);

    launcher.runNext();
    WorkerSession forB = pool.acquire(in(Duration.ofSeconds(10)), B);

    assertThat(forB).isNotSameAs(forA);
    assertThat(backend.launched.get(0).isAlive()).isFalse();
    assertThat(backend.peakLive).hasValue(1);
  }

  /** e0ef61e: a warm start counted only once it began let the next caller start one more worker beside it. */
  @Test
  void aCallerWaitsForTheWarmStartAlreadyDecidedInsteadOfStartingAnother() throws Exception {
    WorkerPool pool = pool(1, 1, false);
    launcher.awaitQueued(1);

    assertThatThrownBy(() -> pool.acquire(in(Duration.ofMillis(300)), A)).isInstanceOf(PoolExhaustedException.class);
    assertThat(backend.launched).as("the caller started nothing beside the warm start").isEmpty();

    launcher.runNext();
    WorkerSession warm = pool.acquire(in(Duration.ofSeconds(10)), A);

    assertThat(backend.launched).hasSize(1);
    assertThat(warm.id()).isEqualTo(backend.launched.get(0).id());
    assertThat(pool.occupancy()).isEqualTo(new WorkerPool.Occupancy(1, 0));
  }

  /** 03eb2be: close() returned while a warm start was still counted, and closed the backend under it. */
  @Test
  void closeWaitsForAWarmStartDecidedBeforeItAndClosesTheBackendLast() throws Exception {
    WorkerPool pool = pool(1, 2, true);
    launcher.awaitQueued(1);
    assertThat(pool.backend()).as("created, so close() has it to close").isSameAs(backend);

    CompletableFuture<Void> closing = CompletableFuture.runAsync(pool::close);
    Thread.sleep(300);
    assertThat(closing).as("close() waits for the counted start").isNotDone();
    assertThat(backend.closed).isFalse();

    launcher.runNext();
    closing.get(20, TimeUnit.SECONDS);

    assertThat(backend.closed).isTrue();
    assertThat(backend.launched).as("the start was abandoned, not run against a closing backend").isEmpty();
  }

  /** A worker that fails its handshake (guest code can make the next worker fail) frees its slot for the next call. */
  @Test
  void aWorkerThatFailsItsHandshakeFailsItsCallAndFreesItsSlot() {
    WorkerPool pool = pool(0, 1, false);
    backend.scripts.add(Script.WRONG_FIRST_FRAME);

    assertThatThrownBy(() -> pool.acquire(in(Duration.ofSeconds(10)), A))
        .isInstanceOf(SandboxCrashedException.class).hasMessageContaining("instead of HELLO");
    assertThat(backend.launched.get(0).isAlive()).isFalse();

    WorkerSession next = pool.acquire(in(Duration.ofMillis(300)), A);
    assertThat(next.id()).isEqualTo(backend.launched.get(1).id());
  }

  /**
   * A pre-started worker's warm-up answer may follow lines it printed meanwhile (a logging library's notice on first
   * use), up to a bound; past it the worker's start fails and it is killed.
   */
  @Test
  void aWarmUpAnsweredAfterSomePrintedLinesIsTakenAndAfterTooManyTheStartFails() throws Exception {
    backend.scripts.add(Script.PRINTS_64_LINES);
    backend.scripts.add(Script.PRINTS_65_LINES);
    WorkerPool pool = pool(2, 2, true);
    launcher.awaitQueued(1);
    launcher.runNext();

    assertThat(backend.launched).hasSize(2);
    assertThat(backend.launched.get(0).isAlive()).as("answered after 64 lines").isTrue();
    assertThat(backend.launched.get(1).isAlive()).as("still printing after 64 lines: killed").isFalse();
    assertThat(pool.occupancy()).isEqualTo(new WorkerPool.Occupancy(0, 1));
  }

  /** CI under load: a cloud sandbox's preparation outlasted the call's 2 s and the call failed as a crash. */
  @Test
  void aCallWhoseDeadlineComesWhileItsWorkerStartsTimesOut() {
    WorkerPool pool = pool(0, 1, false);
    backend.scripts.add(Script.SILENT);

    assertThatThrownBy(() -> pool.acquire(in(Duration.ofMillis(300)), A))
        .isInstanceOf(SandboxTimeoutException.class).hasMessageContaining("while its worker was starting")
        .hasCauseInstanceOf(SandboxCrashedException.class);
    assertThat(backend.launched.get(0).isAlive()).isFalse();
  }

  /**
   * CI, 689c47d: Surefire's booter reset {@code java.class.path} while an eager pool's backend was being created, so
   * the backend bound one classpath and the pool expected another; every worker was refused at its handshake.
   */
  @Test
  void aClasspathResetWhileTheBackendIsCreatedGetsABackendOfTheNewClasspath(@TempDir Path extraEntry) {
    String original = System.getProperty("java.class.path");
    AtomicInteger creations = new AtomicInteger();
    try {
      pool = new WorkerPool(() -> {
        if (creations.incrementAndGet() == 1) {
          System.setProperty("java.class.path", original + File.pathSeparator + extraEntry);
        }
        backend.bindClasspathOfThisJvm();
        return backend;
      }, 0, 1, Duration.ofMinutes(10), false, 64, 1 << 20, launcher);

      WorkerSession worker = pool.acquire(in(Duration.ofSeconds(10)), A);

      assertThat(worker.id()).isEqualTo(backend.launched.get(0).id());
      assertThat(creations).as("the backend made during the reset is closed and made again").hasValue(2);
    } finally {
      System.setProperty("java.class.path", original);
    }
  }

  /** What a fake worker does once launched; a worker that says hello answers a warm-up after printing as many lines. */
  private enum Script {
    HELLO(0), WRONG_FIRST_FRAME(0), SILENT(0), PRINTS_64_LINES(64), PRINTS_65_LINES(65);

    final int printedBeforeWarmed;

    Script(int printedBeforeWarmed) {
      this.printedBeforeWarmed = printedBeforeWarmed;
    }
  }

  /** Workers in this JVM: each a pair of pipes and a thread playing the worker's side. */
  private static final class InMemoryBackend implements SandboxBackend {
    final List<InMemoryWorker> launched = new CopyOnWriteArrayList<>();
    final ArrayDeque<Script> scripts = new ArrayDeque<>();
    final AtomicInteger live = new AtomicInteger();
    final AtomicInteger peakLive = new AtomicInteger();
    volatile boolean closed;
    /** What its workers report, as a real backend's workers report the classpath it read when it was created. */
    volatile String fingerprint = ClasspathFingerprint.of(WorkerClasspath.ofThisJvm());

    void bindClasspathOfThisJvm() {
      fingerprint = ClasspathFingerprint.of(WorkerClasspath.ofThisJvm());
      closed = false;
    }

    @Override
    public String name() {
      return "in-memory";
    }

    @Override
    public IsolationPosture posture() {
      throw new UnsupportedOperationException("the pool never asks");
    }

    @Override
    public synchronized WorkerHandle launch(WorkerSpec spec) {
      Script script = scripts.isEmpty() ? Script.HELLO : scripts.poll();
      InMemoryWorker worker = new InMemoryWorker("mem-" + launched.size(), script, this);
      launched.add(worker);
      peakLive.accumulateAndGet(live.incrementAndGet(), Math::max);
      return worker;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /**
   * A worker whose other end is a thread here: it says HELLO with its backend's classpath fingerprint (or a wrong first
   * frame), then reads frames until killed, answering a warm-up at once. Reused only when proven idle, which this fake
   * always is.
   */
  private static final class InMemoryWorker extends PipedWorker {
    private final InMemoryBackend backend;

    InMemoryWorker(String id, Script script, InMemoryBackend backend) {
      super(id, (fromHost, toHost) -> play(script, backend.fingerprint, fromHost, toHost));
      this.backend = backend;
    }

    private static void play(Script script, String fingerprint, InputStream fromHost, OutputStream out)
        throws IOException {
      FrameWriter writer = new FrameWriter(out);
      if (script == Script.WRONG_FIRST_FRAME) {
        writer.write(FrameType.RESULT, new byte[0]);
      } else if (script != Script.SILENT) {
        writer.write(FrameType.HELLO, Messages.hello(new Messages.Hello(Messages.PROTOCOL_VERSION, fingerprint,
            4242)));
      }
      out.flush();
      FrameReader reader = new FrameReader(fromHost, 1 << 20);
      while (true) {
        Frame frame = reader.read();
        if (frame.type() == FrameType.WARM_UP) {
          for (int i = 0; i < script.printedBeforeWarmed; i++) {
            writer.write(FrameType.LOG, Messages.log(new Messages.Log(true, "SLF4J(W): line " + i)));
          }
          writer.write(FrameType.WARMED, Messages.warmUp(Messages.warmUp(frame.body(), "WARM_UP")));
        }
      }
    }

    @Override
    void onKill() {
      backend.live.decrementAndGet();
    }
  }

  /** An executor whose tasks run only when the test says so, on the test's thread. */
  private static final class ManualExecutor extends AbstractExecutorService {
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean shutdown;

    @Override
    public synchronized void execute(Runnable task) {
      if (shutdown) {
        throw new RejectedExecutionException("shut down");
      }
      tasks.add(task);
      notifyAll();
    }

    synchronized int queued() {
      return tasks.size();
    }

    synchronized void awaitQueued(int count) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (tasks.size() < count) {
        long left = deadline - System.nanoTime();
        assertThat(left).as("%d task(s) queued in time", count).isPositive();
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    void runNext() {
      Runnable task;
      synchronized (this) {
        task = tasks.poll();
        notifyAll();
      }
      assertThat(task).as("a queued task").isNotNull();
      task.run();
    }

    void runNextWithin(Duration wait) throws InterruptedException {
      Runnable task;
      synchronized (this) {
        if (tasks.isEmpty()) {
          TimeUnit.NANOSECONDS.timedWait(this, wait.toNanos());
        }
        task = tasks.poll();
        notifyAll();
      }
      if (task != null) {
        task.run();
      }
    }

    @Override
    public synchronized void shutdown() {
      shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown();
      return List.of();
    }

    @Override
    public synchronized boolean isShutdown() {
      return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
      return shutdown && tasks.isEmpty();
    }

    @Override
    public synchronized boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      long deadline = System.nanoTime() + unit.toNanos(timeout);
      while (!tasks.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }
  }
}
