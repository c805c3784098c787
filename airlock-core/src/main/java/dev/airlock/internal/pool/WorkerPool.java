package dev.airlock.internal.pool;

import dev.airlock.PoolExhaustedException;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.worker.ClasspathFingerprint;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerSpec;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Started, handshaken workers of one backend: keeps {@code minSize} warm, never holds more than {@code maxSize},
 * retires idle ones after {@code idleTimeout}, replaces dead ones, and with {@code reuse=false} destroys each worker
 * after its one call. The backend is created on first need, so an unavailable backend fails calls (or lets them
 * fall back) instead of failing the pool, and is retried later. Every count, and every decision on them, is the
 * {@link SlotLedger}'s, where the invariants are stated; this class carries out what it decides: creating the
 * backend, starting and handshaking workers, killing them off the caller's thread, maintenance and close.
 */
public final class WorkerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  /**
   * How long a pre-started worker's warm-up may take: Airlock's own call on a fixed sample, about 50 ms of a fresh
   * JVM. A worker that takes this long is killed and replaced rather than listed idle.
   */
  private static final Duration WARM_UP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CLOSE_MARGIN = Duration.ofSeconds(10);
  private static final long DEADLINE_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long BACKEND_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** How long a replacement of a single-use worker waits after its predecessor's call returned. */
  static final Duration AFTER_CALL_PAUSE = Duration.ofMillis(50);

  private final Supplier<SandboxBackend> backendFactory;
  private final int maxSize;
  private final Duration idleTimeout;
  private final boolean reuse;
  private final int memoryMb;
  private final int maxResultBytes;
  /** Every call's and handshake's timeout watchdog, and nothing that may wait: they must fire on time. */
  private final ScheduledExecutorService scheduler;
  /**
   * Maintenance, on a thread of its own: it asks idle workers whether they live, which a backend may answer through
   * its engine (Docker inspects the container, up to 30 s); on the watchdogs' thread that delayed every call's
   * timeout (SlowLivenessCheckTest).
   */
  private final ScheduledExecutorService maintenance;
  private final ExecutorService launcher;
  /**
   * Runs the kills the watchdogs start ({@link WorkerSession}): a kill can take seconds, and on the scheduler it
   * delayed every other call's watchdog. As many threads as kills run at once: at most one per worker, and a worker's
   * slot stays taken until its kill is done, so no more than the pool's workers.
   */
  private final ExecutorService killer = Executors.newCachedThreadPool(daemon("airlock-pool-killer"));
  /** The {@code java.class.path} {@link #fingerprint} was taken of (declared first: it is initialised first). */
  private volatile String fingerprintedClassPath = System.getProperty("java.class.path", "");
  /**
   * The classpath workers must report, of the same {@code java.class.path} as the backend's own view of it. An eager
   * pool is made in the agent's premain, before a launcher such as Surefire's booter resets {@code java.class.path} to
   * the real one; so it is taken again when the backend is created if the property changed meanwhile. Taken here
   * first, so that a first call pays for it only in that case.
   */
  private volatile String fingerprint = ClasspathFingerprint.of(WorkerClasspath.of(fingerprintedClassPath));

  /** Every count and the decisions on them; this class only carries them out. */
  private final SlotLedger<WorkerSession> ledger;
  /** Guards the lazily created backend and its retry window. */
  private final Object backendLock = new Object();
  /** Held while the backend is created; never taken under {@code backendLock}. */
  private final Object creationLock = new Object();
  /** Read without the lock once set: a required call asks for it before each call. */
  private volatile SandboxBackend backend;
  /** Read without the lock by the ledger's warm-start check; {@code backendFailedAt} is written first. */
  private volatile SandboxUnavailableException backendFailure;
  private volatile long backendFailedAt;
  private String lastWarmFailure;
  private final AtomicLong workersStarted = new AtomicLong();
  private final ShippedClasses shipped = new ShippedClasses();

  public WorkerPool(Supplier<SandboxBackend> backendFactory, int minSize, int maxSize, Duration idleTimeout,
      boolean reuse, int memoryMb, int maxResultBytes) {
    this(backendFactory, minSize, maxSize, idleTimeout, reuse, memoryMb, maxResultBytes,
        Executors.newCachedThreadPool(daemon("airlock-pool-launcher")));
  }

  /** With the executor that starts warm workers and kills discarded ones: tests run its tasks one by one. */
  WorkerPool(Supplier<SandboxBackend> backendFactory, int minSize, int maxSize, Duration idleTimeout,
      boolean reuse, int memoryMb, int maxResultBytes, ExecutorService launcher) {
    this.backendFactory = backendFactory;
    this.maxSize = maxSize;
    this.idleTimeout = idleTimeout;
    this.reuse = reuse;
    this.memoryMb = memoryMb;
    this.maxResultBytes = maxResultBytes;
    ScheduledThreadPoolExecutor watchdogs = new ScheduledThreadPoolExecutor(1, daemon("airlock-pool-watchdog"));
    // Every call schedules its timeout watchdog and cancels it when answered: without removal the queue would hold
    // a timeout's worth of cancelled watchdogs and every schedule would sift through them.
    watchdogs.setRemoveOnCancelPolicy(true);
    this.scheduler = watchdogs;
    this.maintenance = Executors.newSingleThreadScheduledExecutor(daemon("airlock-pool-maintenance"));
    this.launcher = launcher;
    this.ledger = new SlotLedger<>(minSize, maxSize, reuse, new Drivers());
    long period = Math.max(200, Math.min(5000, idleTimeout.toMillis() / 2));
    maintenance.scheduleWithFixedDelay(this::maintain, 0, period, TimeUnit.MILLISECONDS);
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
    SandboxBackend existing = backend;
    if (existing != null && !ledger.isClosed()) {
      return existing;
    }
    // One creation at a time: a warm start, a warm-up and a first call arriving together wait for the one backend
    // (and its isolation probe) instead of each creating and probing one.
    synchronized (creationLock) {
      return createBackend();
    }
  }

  private SandboxBackend createBackend() {
    synchronized (backendLock) {
      if (ledger.isClosed()) {
        throw SlotLedger.closedError();
      }
      if (backend != null) {
        return backend;
      }
      if (coolingDown()) {
        throw backendFailure;
      }
    }
    SandboxBackend created;
    try {
      created = createFingerprinted();
    } catch (SandboxUnavailableException e) {
      synchronized (backendLock) {
        backendFailedAt = System.nanoTime();
        backendFailure = e;
      }
      throw e;
    }
    synchronized (backendLock) {
      if (backend == null && !ledger.isClosed()) {
        backend = created;
        backendFailure = null;
        return backend;
      }
    }
    created.close();
    if (ledger.isClosed()) {
      throw SlotLedger.closedError();
    }
    return backend;
  }

  /**
   * A backend whose classpath view is the one {@link #fingerprint} describes. The backend reads
   * {@code java.class.path} itself while it is created; a launcher that resets the property in that moment would
   * leave the two apart and every worker refused at its handshake, so such a backend is closed and made again.
   */
  private SandboxBackend createFingerprinted() {
    for (int attempt = 1; ; attempt++) {
      String classPath = System.getProperty("java.class.path", "");
      if (!classPath.equals(fingerprintedClassPath)) {
        fingerprint = ClasspathFingerprint.of(WorkerClasspath.of(classPath));
        fingerprintedClassPath = classPath;
      }
      SandboxBackend created = backendFactory.get();
      if (classPath.equals(System.getProperty("java.class.path", "")) || attempt == 3) {
        return created;
      }
      created.close();
    }
  }

  /** Within the retry window after the backend failed to be created: no new attempt before it has passed. */
  private boolean coolingDown() {
    return backendFailure != null && System.nanoTime() - backendFailedAt < BACKEND_RETRY_NANOS;
  }

  /**
   * A usable worker for one call of trust domain {@code scope}, waiting until {@code deadline} (nanoTime) when all
   * {@code maxSize} are busy.
   * Throws {@link SandboxUnavailableException} only when the backend itself cannot be had, and
   * {@link SandboxCrashedException} when a worker could not be started for it.
   */
  public WorkerSession acquire(long deadline, Object scope) {
    WorkerSession worker;
    try {
      worker = ledger.acquire(scope, deadline);
    } catch (SlotLedger.Exhausted e) {
      throw new PoolExhaustedException("all " + maxSize + " workers stayed busy until the call's timeout "
          + "(airlock.pool.max-size); nothing was shipped");
    }
    if (worker != null) {
      return worker;
    }
    WorkerSession started;
    try {
      started = start(true, deadline);
    } catch (SandboxCrashedException e) {
      if (deadline - System.nanoTime() < DEADLINE_SLACK_NANOS) {
        // A start bounded by the call's deadline failed because the deadline came: the call timed out, as it would
        // have in a worker that started in time. Nothing ran, on the host neither. (With slack: the handshake's
        // watchdog is scheduled in whole milliseconds, truncated, and a backend's own wait may end a poll early.)
        throw new SandboxTimeoutException("the call's timeout passed while its worker was starting ("
            + e.getMessage() + ")", e);
      }
      throw e;
    }
    started.bindTo(scope);
    return started;
  }

  /**
   * Launches and handshakes one worker whose start the ledger already counted. A worker started for a caller gets no
   * longer than the caller's own deadline (nanoTime), so a worker that never says hello cannot hold a call past its
   * timeout.
   */
  private WorkerSession start(boolean forCaller, long deadline) {
    Duration startTimeout = forCaller
        ? Duration.ofNanos(Math.max(1, Math.min(START_TIMEOUT.toNanos(), deadline - System.nanoTime())))
        : START_TIMEOUT;
    WorkerSession session;
    try {
      session = launch(backend(), startTimeout);
    } catch (RuntimeException e) {
      ledger.startFailed(1);
      throw e;
    }
    try {
      session.handshake(fingerprint, startTimeout);
      if (!forCaller && ledger.counts().waiting() == 0) {
        // Only a worker that will wait idle: a caller's own worker, or a warm one that a caller already waits for
        // (the ledger hands it over), serves that call first, which warms it as well.
        session.warmUp(WARM_UP_TIMEOUT);
      }
    } catch (RuntimeException | Error e) {
      if (session.killDone()) {
        ledger.startFailed(1);
      } else {
        // Its slot stays counted until its kill is done: the handshake's or warm-up's watchdog handed that kill to
        // the killer, and a slot freed now would let a replacement start beside a worker still being killed (a
        // container's removal can take 30 s), one more for each failed start (SlowKillTest).
        ledger.startFailedWith(session);
      }
      throw e;
    }
    try {
      if (reuse) {
        session.recordReadyState();
      }
      List<String> recent = forCaller ? List.of() : shipped.recent();
      if (!recent.isEmpty()) {
        // Only a worker that will wait idle: a caller's own worker would load up to 256 classes before its call.
        session.prepare(recent);
      }
      workersStarted.incrementAndGet();
    } catch (RuntimeException e) {
      ledger.startFailedWith(session);
      throw e;
    }
    if (ledger.started(session, forCaller)) {
      return session;
    }
    // Still counted as starting while it dies, so close() does not close the backend under this kill.
    session.kill();
    ledger.startFailed(1);
    throw SlotLedger.closedError();
  }

  /**
   * Launches one worker of a backend that exists; {@link #start} handshakes it. Only the backend's own probes (its
   * creation, and {@link SandboxBackend#probe()} after a failed launch) may say it is unavailable; whatever else goes
   * wrong with one worker is that worker's failure ({@link SandboxCrashedException}), never a reason to run a call on
   * the host: a guest can make the next worker fail (exhaust a limit it shares; a busy host can too). The call fails;
   * the next one gets a fresh worker.
   */
  private WorkerSession launch(SandboxBackend b, Duration startTimeout) {
    WorkerSession session;
    try {
      session = new WorkerSession(b.launch(new WorkerSpec(memoryMb, startTimeout)), maxResultBytes, scheduler,
          killer);
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
    ledger.release(worker, reuse && worker.reusable());
  }

  /** One after the other, so a first start creates the backend once; {@code count} were counted as starting. */
  private void startWarm(int count) {
    for (int i = 0; i < count; i++) {
      if (ledger.abandonIfClosed(count - i)) {
        return;
      }
      try {
        start(false, 0);
        lastWarmFailure = null;
      } catch (RuntimeException e) {
        ledger.startFailed(count - i - 1);
        if (!ledger.isClosed() && !String.valueOf(e.getMessage()).equals(lastWarmFailure)) {
          LOG.warn("Airlock could not pre-start a worker: {}", e.getMessage());
          lastWarmFailure = String.valueOf(e.getMessage());
        }
        return;
      }
    }
  }

  /**
   * Lets the caller whose single-use worker just returned finish its call (the guard's audit, its own code) before a
   * replacement JVM takes a core: timed with the host's and the worker's phases, a replacement started at release ran
   * beside the rest of the call and stretched its audit line from 0.5 to up to 12 ms on two busy cores. Started
   * {@link #AFTER_CALL_PAUSE} later it is still ready long before an agent's next call; a caller who finds no idle
   * worker meanwhile is not kept waiting for it (the ledger only pauses while another worker waits idle).
   *
   * <p>The used worker's kill waits as long, for the same reason: killing it (listing its process tree, signalling,
   * polling {@code /proc} until it is gone, removing its cgroups, the kernel freeing a JVM's memory) ran beside the
   * caller's audit and return and stretched the audit's 0.3-0.4 ms of CPU to 1-5 ms of wall time (per-thread timers,
   * quiet machine). Nothing is gained by a guest meanwhile: its call's egress was closed when the call ended (a
   * connection after that is refused), no call is sent to it again, it keeps its sandbox's limits, and its slot stays
   * counted as dying until the kill is done, so no waiting caller is kept from a worker by the pause (the ledger only
   * pauses while nobody waits).
   */
  private static void pauseForCaller() {
    try {
      Thread.sleep(AFTER_CALL_PAUSE.toMillis());
    } catch (InterruptedException e) {
      // Only a courtesy to the caller: start now.
    }
  }

  private void maintain() {
    try {
      ledger.evictAndReplenish(idleTimeout.toNanos());
    } catch (RuntimeException e) {
      LOG.warn("Airlock pool maintenance failed", e);
    }
  }

  /**
   * What the ledger decides, carried out: kills and warm starts run on the launcher, never on the maintenance thread
   * (close() waits for the launcher, and must not close the backend under a worker still starting) nor on a caller's.
   */
  private final class Drivers implements SlotLedger.Drivers<WorkerSession> {
    @Override
    public void kill(WorkerSession worker, boolean afterCall) {
      Runnable kill = new Kill(worker, afterCall);
      try {
        launcher.execute(kill);
      } catch (RejectedExecutionException closing) {
        // A call returned while the pool closed: kill here, or the worker would outlive the pool.
        kill.run();
      }
    }

    @Override
    public void startWarm(int count, boolean afterCall) {
      launcher.execute(() -> {
        if (afterCall) {
          pauseForCaller();
        }
        WorkerPool.this.startWarm(count);
      });
    }

    @Override
    public boolean mayStartWarm() {
      return !coolingDown();
    }
  }

  /**
   * A used worker's kill, once its caller has returned. A class, not a lambda: every single-use call kills its worker,
   * so a lambda here would be linked on the caller's first call ({@code HostWarmUpTest}).
   */
  private final class Kill implements Runnable {
    private final WorkerSession worker;
    private final boolean afterCall;

    Kill(WorkerSession worker, boolean afterCall) {
      this.worker = worker;
      this.afterCall = afterCall;
    }

    @Override
    public void run() {
      try {
        if (afterCall) {
          pauseForCaller();
        }
        // Also waits for a kill a watchdog started: the slot is free only once the worker is gone.
        worker.awaitKilled();
      } finally {
        ledger.killed(worker);
      }
    }
  }

  /** Busy and idle workers, read together so a worker moving between them is never counted twice. */
  public record Occupancy(int active, int idle) {
  }

  public Occupancy occupancy() {
    SlotLedger.Counts counts = ledger.counts();
    return new Occupancy(counts.busy(), counts.idle());
  }

  public long workersStarted() {
    return workersStarted.get();
  }

  /**
   * Kills every worker, idle and busy (their callers get a clear exception), waits for workers still starting to be
   * killed by whoever started them (the backend must outlive those kills or their containers and VMs would be left
   * behind), and closes the backend.
   */
  @Override
  public void close() {
    List<WorkerSession> all = ledger.close();
    if (all == null) {
      return;
    }
    maintenance.shutdownNow();
    SandboxBackend toClose;
    synchronized (backendLock) {
      toClose = backend;
    }
    for (WorkerSession w : all) {
      w.closeByPool();
    }
    launcher.shutdown();
    long deadline = System.nanoTime() + START_TIMEOUT.plus(CLOSE_MARGIN).toNanos();
    try {
      int stillStarting = ledger.awaitNoneStarting(deadline);
      if (stillStarting > 0) {
        LOG.warn("{} worker(s) still starting when the pool closed; the backend's own cleanup removes them",
            stillStarting);
      }
      launcher.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      // Kills a watchdog started run to their end, never interrupted: an interrupted local kill stops waiting for the
      // process tree and leaves the worker's cgroup folders behind.
      killer.shutdown();
      if (!killer.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        LOG.warn("a worker's kill was still running when the pool closed; the backend's own cleanup removes it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
    if (toClose != null) {
      toClose.close();
    }
  }
}
