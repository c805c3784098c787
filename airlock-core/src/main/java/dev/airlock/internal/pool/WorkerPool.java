package dev.airlock.internal.pool;

import dev.airlock.PoolExhaustedException;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.worker.ClasspathFingerprint;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerSpec;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Started, handshaken workers of one backend: keeps {@code minSize} warm, never holds more than {@code maxSize},
 * retires idle ones after {@code idleTimeout}, replaces dead ones, and with {@code reuse=false} destroys each worker
 * after its one call. The backend is created on first need, so an unavailable backend fails calls (or lets them
 * fall back) instead of failing the pool, and is retried later.
 */
public final class WorkerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration CLOSE_MARGIN = Duration.ofSeconds(10);
  private static final long BACKEND_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final Supplier<SandboxBackend> backendFactory;
  private final int minSize;
  private final int maxSize;
  private final Duration idleTimeout;
  private final boolean reuse;
  private final int memoryMb;
  private final int maxResultBytes;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService launcher;
  private final String fingerprint = ClasspathFingerprint.of(WorkerClasspath.ofThisJvm());

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Deque<WorkerSession> idle = new ArrayDeque<>();
  private final Set<WorkerSession> busy = new HashSet<>();
  private int starting;
  /** Discarded workers whose kill has not finished yet. */
  private int dying;
  private int waiting;
  private boolean closed;
  private SandboxBackend backend;
  private SandboxUnavailableException backendFailure;
  private long backendFailedAt;
  private String lastWarmFailure;
  private final AtomicLong workersStarted = new AtomicLong();
  private final ShippedClasses shipped = new ShippedClasses();

  public WorkerPool(Supplier<SandboxBackend> backendFactory, int minSize, int maxSize, Duration idleTimeout,
      boolean reuse, int memoryMb, int maxResultBytes) {
    this.backendFactory = backendFactory;
    this.minSize = minSize;
    this.maxSize = maxSize;
    this.idleTimeout = idleTimeout;
    this.reuse = reuse;
    this.memoryMb = memoryMb;
    this.maxResultBytes = maxResultBytes;
    ScheduledThreadPoolExecutor maintenance = new ScheduledThreadPoolExecutor(1, daemon("airlock-pool-maintenance"));
    // Every call schedules its timeout watchdog and cancels it when answered: without removal the queue would hold
    // a timeout's worth of cancelled watchdogs and every schedule would sift through them.
    maintenance.setRemoveOnCancelPolicy(true);
    this.scheduler = maintenance;
    this.launcher = Executors.newCachedThreadPool(daemon("airlock-pool-launcher"));
    long period = Math.max(200, Math.min(5000, idleTimeout.toMillis() / 2));
    scheduler.scheduleWithFixedDelay(this::maintain, 0, period, TimeUnit.MILLISECONDS);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicLong n = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The backend, created on first use; {@link SandboxUnavailableException} when it cannot be had right now. */
  public SandboxBackend backend() {
    lock.lock();
    try {
      if (closed) {
        throw closed();
      }
      if (backend != null) {
        return backend;
      }
      if (backendFailure != null && System.nanoTime() - backendFailedAt < BACKEND_RETRY_NANOS) {
        throw backendFailure;
      }
    } finally {
      lock.unlock();
    }
    SandboxBackend created;
    try {
      created = backendFactory.get();
    } catch (SandboxUnavailableException e) {
      lock.lock();
      try {
        backendFailure = e;
        backendFailedAt = System.nanoTime();
      } finally {
        lock.unlock();
      }
      throw e;
    }
    lock.lock();
    try {
      if (backend == null && !closed) {
        backend = created;
        backendFailure = null;
        return backend;
      }
    } finally {
      lock.unlock();
    }
    created.close();
    if (closed) {
      throw closed();
    }
    return backend;
  }

  /**
   * A usable worker for one call of trust domain {@code scope}, waiting until {@code deadline} (nanoTime) when all
   * {@code maxSize} are busy.
   * Throws {@link SandboxUnavailableException} only when the backend itself cannot be had, and
   * {@link SandboxCrashedException} when a worker could not be started for it.
   */
  public WorkerSession acquire(long deadline, Object scope) {
    lock.lock();
    try {
      while (true) {
        if (closed) {
          throw closed();
        }
        WorkerSession worker = takeIdle(scope);
        if (worker != null) {
          worker.bindTo(scope);
          busy.add(worker);
          if (reuse) {
            replenishIfShort();
          }
          // A single-use worker is replaced once its call returns: a JVM starting beside the call would take the
          // CPU the call needs (1.5 ms of a 4 ms call on two cores), and gain nothing a call later.
          return worker;
        }
        if (starting > waiting && waitUntil(deadline)) {
          continue;
        }
        if (total() < maxSize) {
          starting++;
          break;
        }
        WorkerSession another = idle.pollLast();
        if (another != null) {
          // Idle, but it ran another trust domain's calls: it makes room for a fresh worker.
          discard(another);
          continue;
        }
        if (!waitUntil(deadline)) {
          throw new PoolExhaustedException("all " + maxSize + " workers stayed busy until the call's timeout "
              + "(airlock.pool.max-size); nothing was shipped");
        }
      }
    } finally {
      lock.unlock();
    }
    WorkerSession started = start(true, deadline);
    started.bindTo(scope);
    return started;
  }

  /**
   * Under the lock: the first idle worker that is fresh or already bound to {@code scope}, taken out of the idle
   * queue; dead ones met on the way are discarded. A worker that ran one trust domain's calls never runs another's.
   */
  private WorkerSession takeIdle(Object scope) {
    for (var it = idle.iterator(); it.hasNext();) {
      WorkerSession worker = it.next();
      if (!worker.usable()) {
        it.remove();
        discard(worker);
      } else if (worker.scope() == null || worker.scope().equals(scope)) {
        it.remove();
        return worker;
      }
    }
    return null;
  }

  /** Not "unavailable": a closed pool must never make a call fall back to the host. */
  private static SandboxExecutionException closed() {
    return new SandboxExecutionException("the pool is closed; no call runs through it any more");
  }

  private boolean waitUntil(long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    waiting++;
    try {
      changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxExecutionException("interrupted while waiting for a worker", e);
    } finally {
      waiting--;
    }
    return true;
  }

  /**
   * Launches and handshakes one worker; {@code starting} was already counted by the caller. A worker started for a
   * caller gets no longer than the caller's own deadline (nanoTime), so a worker that never says hello cannot hold
   * a call past its timeout.
   */
  private WorkerSession start(boolean forCaller, long deadline) {
    WorkerSession session;
    try {
      session = launch(backend(), forCaller, deadline);
      List<String> recent = forCaller ? List.of() : shipped.recent();
      if (!recent.isEmpty()) {
        // Only a worker that will wait idle: a caller's own worker would load up to 256 classes before its call.
        session.prepare(recent);
      }
      workersStarted.incrementAndGet();
    } catch (RuntimeException e) {
      lock.lock();
      try {
        starting--;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      throw e;
    }
    lock.lock();
    try {
      if (!closed) {
        starting--;
        changed.signalAll();
        if (forCaller) {
          busy.add(session);
        } else {
          idle.addLast(session);
        }
        return session;
      }
    } finally {
      lock.unlock();
    }
    // Still counted as starting while it dies, so close() does not close the backend under this kill.
    session.kill();
    lock.lock();
    try {
      starting--;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    throw closed();
  }

  /**
   * Launches and handshakes one worker of a backend that exists. Only the backend's own probes (its creation, and
   * {@link SandboxBackend#probe()} after a failed launch) may say it is unavailable; whatever else goes wrong with one
   * worker is that worker's failure ({@link SandboxCrashedException}), never a reason to run a call on the host: a
   * guest can make the next worker fail (exhaust a limit it shares; a busy host can too). The call fails; the next
   * one gets a fresh worker.
   */
  private WorkerSession launch(SandboxBackend b, boolean forCaller, long deadline) {
    Duration startTimeout = forCaller
        ? Duration.ofNanos(Math.max(1, Math.min(START_TIMEOUT.toNanos(), deadline - System.nanoTime())))
        : START_TIMEOUT;
    WorkerSession session;
    try {
      session = new WorkerSession(b.launch(new WorkerSpec(memoryMb, startTimeout)), maxResultBytes, scheduler);
    } catch (RuntimeException e) {
      try {
        b.probe();
      } catch (SandboxUnavailableException down) {
        down.addSuppressed(e);
        throw down;
      }
      throw new SandboxCrashedException("the " + b.name() + " backend could not start a worker (" + e.getMessage()
          + "); the call was not run on the host", e);
    }
    session.handshake(fingerprint, startTimeout);
    if (reuse) {
      session.recordReadyState();
    }
    return session;
  }

  /** Remembers what a call ships, so workers started from now on load those classes before their first call. */
  public void noteShipped(Object receiver, Method method, Object[] args) {
    shipped.note(receiver, method, args);
  }

  /**
   * Returns a worker after its call: kept when reusable, else destroyed and replaced in the background. Destroying
   * waits for the process tree and its cgroups to go, so it runs off the caller's thread: the result is already in
   * hand, and {@link #close()} waits for these kills.
   */
  public void release(WorkerSession worker) {
    // Outside the lock: the proof reads /proc.
    boolean reusable = reuse && worker.reusable();
    lock.lock();
    try {
      busy.remove(worker);
      if (reusable && !closed) {
        idle.addFirst(worker);
        changed.signalAll();
        return;
      }
      // Counted as dying in the same step that takes it out of busy: in between, a waiting caller would see a free
      // slot and start a JVM beside this one (a load test saw 5 worker JVMs in a pool of 4).
      dying++;
    } finally {
      lock.unlock();
    }
    killCounted(worker);
    lock.lock();
    try {
      replenishIfShort();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Under the lock: starts workers in the background when fewer than {@code minSize} are idle or starting. Checked
   * here rather than in the launcher so a warm pool's calls do not each hand a task to another thread. They count as
   * starting at once, so a caller that comes next waits for them instead of starting one more of its own.
   */
  private void replenishIfShort() {
    if (closed || (backendFailure != null && System.nanoTime() - backendFailedAt < BACKEND_RETRY_NANOS)) {
      return;
    }
    int missing = Math.min(minSize - idle.size() - starting, maxSize - total());
    if (missing > 0) {
      starting += missing;
      launcher.execute(() -> startWarm(missing));
    }
  }

  /** One after the other, so a first start creates the backend once; {@code count} were counted as starting. */
  private void startWarm(int count) {
    for (int i = 0; i < count; i++) {
      lock.lock();
      try {
        if (closed) {
          starting -= count - i;
          changed.signalAll();
          return;
        }
      } finally {
        lock.unlock();
      }
      try {
        start(false, 0);
        lastWarmFailure = null;
      } catch (RuntimeException e) {
        lock.lock();
        try {
          starting -= count - i - 1;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
        if (!closed && !String.valueOf(e.getMessage()).equals(lastWarmFailure)) {
          LOG.warn("Airlock could not pre-start a worker: {}", e.getMessage());
          lastWarmFailure = String.valueOf(e.getMessage());
        }
        return;
      }
    }
  }

  private void maintain() {
    try {
      lock.lock();
      try {
        for (var it = idle.iterator(); it.hasNext();) {
          WorkerSession w = it.next();
          boolean expired = w.idleNanos() > idleTimeout.toNanos() && total() > minSize;
          if (!w.usable() || expired) {
            it.remove();
            discard(w);
          }
        }
        // On the launcher, never here: close() waits for the launcher, and must not close the backend under a
        // worker this thread would still be starting.
        replenishIfShort();
      } finally {
        lock.unlock();
      }
    } catch (RuntimeException e) {
      LOG.warn("Airlock pool maintenance failed", e);
    }
  }

  /**
   * Kills a worker off the caller's thread. Until its process is gone it still counts against {@code maxSize}: a
   * dying JVM holds its memory, and a replacement started beside it would make one worker more than allowed.
   */
  private void discard(WorkerSession worker) {
    lock.lock();
    try {
      dying++;
    } finally {
      lock.unlock();
    }
    killCounted(worker);
  }

  /** Kills a worker already counted in {@code dying}, and uncounts it once its process is gone. */
  private void killCounted(WorkerSession worker) {
    Runnable kill = () -> {
      try {
        worker.kill();
      } finally {
        lock.lock();
        try {
          dying--;
          changed.signalAll();
          replenishIfShort();
        } finally {
          lock.unlock();
        }
      }
    };
    try {
      launcher.execute(kill);
    } catch (RejectedExecutionException closing) {
      // A call returned while the pool closed: kill here, or the worker would outlive the pool.
      kill.run();
    }
  }

  private int total() {
    return idle.size() + busy.size() + starting + dying;
  }

  /** Busy and idle workers, read together so a worker moving between them is never counted twice. */
  public record Occupancy(int active, int idle) {
  }

  public Occupancy occupancy() {
    lock.lock();
    try {
      return new Occupancy(busy.size(), idle.size());
    } finally {
      lock.unlock();
    }
  }

  public long workersStarted() {
    return workersStarted.get();
  }

  /**
   * Workers being started when the pool closed, on the launcher or on a caller's thread, are killed by whoever
   * started them; the backend must outlive those kills or their containers and VMs would be left behind.
   */
  private void awaitNoneStarting(long deadline) throws InterruptedException {
    lock.lock();
    try {
      while (starting > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warn("{} worker(s) still starting when the pool closed; the backend's own cleanup removes them",
              starting);
          return;
        }
        changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Kills every worker, idle and busy (their callers get a clear exception), waits for workers still starting to be
   * killed, and closes the backend.
   */
  @Override
  public void close() {
    SandboxBackend toClose;
    Set<WorkerSession> all = new HashSet<>();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      all.addAll(idle);
      all.addAll(busy);
      idle.clear();
      toClose = backend;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (WorkerSession w : all) {
      w.closeByPool();
    }
    launcher.shutdown();
    long deadline = System.nanoTime() + START_TIMEOUT.plus(CLOSE_MARGIN).toNanos();
    try {
      awaitNoneStarting(deadline);
      launcher.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
    if (toClose != null) {
      toClose.close();
    }
  }
}
