package dev.airlock;

import dev.airlock.ExecutionListener.Outcome;
import dev.airlock.internal.backend.Backends;
import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.internal.backend.PostureInProgress;
import dev.airlock.internal.backend.SetupRefusedException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.InvocationPacker;
import dev.airlock.internal.intercept.CallEgress;
import dev.airlock.internal.intercept.HostWarmUp;
import dev.airlock.internal.intercept.Invocation;
import dev.airlock.internal.intercept.LocalExecution;
import dev.airlock.internal.intercept.PoolAccess;
import dev.airlock.internal.pool.WorkerPool;
import dev.airlock.internal.pool.WorkerSession;
import dev.airlock.internal.trace.CallTrace;
import dev.airlock.internal.trace.CallTracing;
import dev.airlock.spi.SandboxBackend;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm sandbox workers of one backend, and the way calls get into them.
 *
 * <pre>{@code
 * try (SandboxPool pool = SandboxPool.builder().minSize(1).build()) {
 *   int answer = pool.call(() -> 6 * 7);          // runs in a worker JVM
 *   System.out.println(pool.stats());
 * }
 * }</pre>
 *
 * <p>A call is checked and serialized on the host first (an unshippable field or an oversized payload fails before
 * any worker is touched), then runs in a worker. Only when no worker can be had at all does it run on the host,
 * and only when the sandbox is not required. A call that failed, timed out or crashed in a sandbox is never re-run.
 */
public final class SandboxPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxPool.class);
  private static final Method SANDBOX_CALL;

  static {
    try {
      SANDBOX_CALL = SandboxCall.class.getMethod("call");
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
    PoolAccess.install(new PoolAccess() {
      @Override
      protected Object run(SandboxPool pool, Invocation invocation) throws Throwable {
        return pool.invoke(invocation);
      }
    });
  }

  private final AirlockConfig config;
  private final String backendName;
  private final WorkerPool workers;
  /** The pool's egress keys, checked when it is built. */
  private final EgressSettings egress;
  private final List<ExecutionListener> listeners;
  /** {@code airlock.allowed-classes}, read when the pool is built: an entry that is no class name fails the build. */
  private final ClassAllowlist configuredClasses;
  private final Map<Object, ClassAllowlist> allowlists = new ConcurrentHashMap<>();
  private final AtomicLong executions = new AtomicLong();
  private final AtomicLong latencyNanos = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong timeouts = new AtomicLong();
  private final AtomicLong fallbacks = new AtomicLong();
  private final AtomicLong crashes = new AtomicLong();
  private volatile boolean closed;

  private SandboxPool(Builder b) {
    this.config = b.config;
    this.backendName = b.backendName;
    this.listeners = List.copyOf(b.listeners);
    this.egress = EgressSettings.of(b.config);
    this.configuredClasses = ClassAllowlist.of(b.config.allowedClasses());
    Supplier<SandboxBackend> factory = b.backend != null ? b.backend
        : () -> Backends.create(b.backendName, b.config);
    this.workers = new WorkerPool(factory, b.minSize, b.maxSize, b.idleTimeout, b.reuse, b.memoryMb,
        b.config.maxResultBytes());
  }

  /**
   * Starts, in the background, what this pool's first call would otherwise wait for: its backend (the isolation
   * probe included; a call that requires a sandbox is still admitted only against the measured posture) and the
   * host side of a call (codec, guard, audit), once per JVM. The pool starts its {@code min-size} workers by itself.
   * Returns at once. The price is CPU at startup, whether or not a call comes; a backend that cannot be had is left
   * for the first call to report.
   */
  public void warmUp() {
    // Two threads: the host side is class loading and one-time set-up that a first call arriving meanwhile would
    // otherwise wait for behind the backend's probe.
    Thread backend = new Thread(() -> {
      try {
        workers.backend();
      } catch (RuntimeException e) {
        // Unavailable, or the pool closed meanwhile: the first call reports what holds then.
        LOG.debug("Airlock warm-up: backend {} not created: {}", backendName, e.getMessage());
      }
    }, "airlock-warm-up-backend");
    backend.setDaemon(true);
    backend.start();
    HostWarmUp.startOnce();
  }

  /** A builder whose defaults come from {@link AirlockRuntime#config()}. */
  public static Builder builder() {
    return new Builder(AirlockRuntime.config());
  }

  /** A builder whose defaults come from {@code config}. */
  public static Builder builder(AirlockConfig config) {
    return new Builder(config);
  }

  /**
   * Runs {@code call} in a worker under {@code airlock.timeout-seconds}; falls back to the host only when no worker
   * can be had and {@code airlock.sandbox-required} is false.
   */
  public <T> T call(SandboxCall<T> call) {
    return call(call, config.timeout());
  }

  @SuppressWarnings("unchecked")
  public <T> T call(SandboxCall<T> call, Duration timeout) {
    Objects.requireNonNull(call, "call");
    try {
      return (T) invoke(new Invocation(call, SANDBOX_CALL, new Object[0], timeout, config.sandboxRequired(),
          call::call));
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new SandboxExecutionException("the sandboxed call threw " + t, t);
    }
  }

  /**
   * The entry the interceptors use (through {@link PoolAccess}): ships {@code invocation}, returns its result or
   * throws what it threw. Listeners hear {@code callStart} first and exactly one end event after, whatever the path.
   */
  private Object invoke(Invocation invocation) throws Throwable {
    long start = System.nanoTime();
    HostWarmUp.startOnce();
    ExecutionListener.Call call = new ExecutionListener.Call(invocation.describe(), backendName);
    tell(call, null, null);
    Attempt attempt = new Attempt();
    Object result;
    try {
      result = run(invocation, start, attempt);
    } catch (Throwable t) {
      ExecutionListener.Event event = end(call, outcome(t, attempt), start, attempt);
      CallTracing.current().poolOutcome(event.outcome().name().toLowerCase(Locale.ROOT));
      tell(call, event, t);
      throw t;
    }
    ExecutionListener.Event event = end(call, attempt.fallback ? Outcome.FALLBACK : Outcome.SUCCESS, start, attempt);
    CallTracing.current().poolOutcome(event.outcome().name().toLowerCase(Locale.ROOT));
    tell(call, event, null);
    return result;
  }

  /** What one call went through, for its outcome: set on the caller's thread as the call proceeds. */
  private static final class Attempt {
    long workerPid = -1;
    boolean reachedWorker;
    boolean fallback;
  }

  private Object run(Invocation invocation, long start, Attempt attempt) throws Throwable {
    CallTrace trace = CallTracing.current();
    CallTrace.Phase encode = trace.phase("airlock.encode");
    byte[] payload = InvocationPacker.pack(invocation.receiver(), invocation.method(), invocation.args(),
        config.maxPayloadBytes(), config.filesRoots());
    encode.end();
    WorkerSession worker;
    CallTrace.Phase queue = trace.phase("airlock.queue");
    try {
      boolean admitted = !invocation.sandboxRequired() || admitIfMeasured(invocation);
      worker = workers.acquire(start + invocation.timeout().toNanos(), reuseScope());
      if (!admitted) {
        admitStarted(invocation, worker);
      }
    } catch (SandboxUnavailableException e) {
      queue.end();
      return unavailable(invocation, e, attempt);
    }
    queue.end();
    attempt.reachedWorker = true;
    attempt.workerPid = worker.pid();
    trace.attribute("airlock.sandboxed", true);
    trace.attribute("airlock.worker.reused", worker.callsStarted() > 0);
    CallEgress.Opened egressOpened = null;
    try {
      egressOpened = invocation.egress().begin(worker.handle(), egress, backendName);
      // The call's deadline counts from when it was made: its wait for a worker is part of its timeout.
      return worker.call(payload, invocation.timeout(), start + invocation.timeout().toNanos(),
          config.maxResultBytes(), new WhileShipped(invocation),
          LoggerFactory.getLogger(invocation.method().getDeclaringClass()));
    } finally {
      if (egressOpened != null) {
        egressOpened.end();
      }
      workers.release(worker);
    }
  }

  /** How a call that threw {@code failure} ended; a refusal before any worker is named for its cause. */
  private Outcome outcome(Throwable failure, Attempt attempt) {
    if (attempt.fallback) {
      return Outcome.FALLBACK;
    }
    if (failure instanceof SandboxTimeoutException) {
      return Outcome.TIMEOUT;
    }
    if (failure instanceof SandboxCrashedException || failure instanceof SandboxResourceLimitException) {
      return Outcome.CRASH;
    }
    if (attempt.reachedWorker) {
      return Outcome.ERROR;
    }
    if (failure instanceof PoolExhaustedException) {
      return Outcome.POOL_EXHAUSTED;
    }
    if (failure instanceof SandboxUnavailableException) {
      return Outcome.UNAVAILABLE;
    }
    if (failure instanceof PayloadTooLargeException || failure instanceof UnshippableInvocationException) {
      return Outcome.REJECTED;
    }
    return closed ? Outcome.CLOSED : Outcome.ERROR;
  }

  /** Counts the call's end in the pool's stats and returns the event for it. */
  private ExecutionListener.Event end(ExecutionListener.Call call, Outcome outcome, long start, Attempt attempt) {
    long elapsed = System.nanoTime() - start;
    if (attempt.reachedWorker) {
      executions.incrementAndGet();
      latencyNanos.addAndGet(elapsed);
      if (outcome != Outcome.SUCCESS) {
        failures.incrementAndGet();
      }
    }
    switch (outcome) {
      case TIMEOUT -> timeouts.incrementAndGet();
      case CRASH -> crashes.incrementAndGet();
      case FALLBACK -> fallbacks.incrementAndGet();
      default -> {
      }
    }
    return new ExecutionListener.Event(call.method(), call.backend(), outcome, Duration.ofNanos(elapsed),
        attempt.workerPid);
  }

  /**
   * A required sandbox is an isolating one: a backend that runs workers without namespaces (local with
   * {@code isolation=none}, or {@code auto} without bubblewrap) is no sandbox for such a call, whatever
   * {@link AirlockRuntime#isSandboxed()} would say in the worker. Calls that are not required still run there, under
   * the backend's own warning.
   */
  private void requireIsolation(Invocation invocation) {
    IsolationPosture posture = workers.backend().posture();
    if (!posture.isolating()) {
      throw new SandboxUnavailableException("the " + posture.backend() + " backend does not isolate its workers "
          + "(filesystem: " + posture.control("filesystem").map(IsolationPosture.Control::how).orElse("not reported")
          + "). Install bubblewrap (apt-get install bubblewrap) and keep airlock.local.isolation at auto or strict, "
          + "or use the Docker backend (airlock.backend=docker)");
    }
  }

  /**
   * True when the call is admitted against a measured posture; false while the backend still measures it, so its
   * worker starts meanwhile and the call is admitted by {@link #admitStarted} before anything is shipped.
   */
  private boolean admitIfMeasured(Invocation invocation) {
    if (workers.backend() instanceof PostureInProgress measuring && !measuring.postureMeasured()) {
      return false;
    }
    requireIsolation(invocation);
    return true;
  }

  /** Admits a call whose worker started while the posture was measured; a refused call's worker is given back. */
  private void admitStarted(Invocation invocation, WorkerSession worker) {
    try {
      requireIsolation(invocation);
    } catch (SandboxUnavailableException e) {
      workers.release(worker);
      throw e;
    }
  }

  private Object unavailable(Invocation invocation, SandboxUnavailableException cause, Attempt attempt)
      throws Throwable {
    if (cause instanceof SetupRefusedException refused) {
      // The backend refused a set-up that would expose the host's files to workers: the host is no place for the call.
      throw refused;
    }
    if (invocation.sandboxRequired()) {
      throw new SandboxUnavailableException(invocation.describe() + " requires a sandbox and none could be had: "
          + cause.getMessage(), cause);
    }
    attempt.fallback = true;
    LOG.warn("Airlock: no sandbox for {} ({}); running it on the HOST because the sandbox is not required. "
        + "Set sandboxRequired=true to refuse instead.", invocation.describe(), cause.getMessage());
    return LocalExecution.run(invocation.local(), invocation.receiver(), invocation.method(), invocation.timeout(),
        invocation.describe(), config.maxOverdueHostCalls());
  }

  /**
   * The trust domain a reused worker is kept to: the session of the bound {@link AirlockContext}, or no session.
   * A worker keeps the static state of every call it ran, so two sessions never share one.
   */
  private static Object reuseScope() {
    // No lambda: a call's path links none on its first run (HostWarmUpTest).
    Optional<AirlockContext> context = AirlockContext.current();
    return context.isPresent() ? Optional.ofNullable(context.get().sessionId()) : Optional.empty();
  }

  /**
   * The host's part of a call that needs neither its worker's answer nor to precede the invocation: noting what it
   * shipped (for the next worker's PREPARE), the caller's own such work (the audit's argument hash), and the
   * allowlist its result is read against, built the first time a tool is called. A class, not a lambda: a call's
   * path links no call site on its first run (HostWarmUpTest).
   */
  private final class WhileShipped implements WorkerSession.WhileRunning {
    private final Invocation invocation;

    WhileShipped(Invocation invocation) {
      this.invocation = invocation;
    }

    @Override
    public ClassAllowlist run() {
      workers.noteShipped(invocation.receiver(), invocation.method(), invocation.args());
      invocation.whileRunning().run();
      return allowlist(invocation);
    }
  }

  private ClassAllowlist allowlist(Invocation invocation) {
    Class<?> receiverClass = invocation.receiver() == null ? null : invocation.receiver().getClass();
    Object key = List.of(invocation.method(), receiverClass == null ? Void.class : receiverClass);
    ClassAllowlist known = allowlists.get(key);
    if (known != null) {
      return known;
    }
    ClassAllowlist built = ClassAllowlist.forCall(invocation.receiver(), invocation.method(), configuredClasses);
    ClassAllowlist raced = allowlists.putIfAbsent(key, built);
    return raced == null ? built : raced;
  }

  /**
   * Tells every listener of a call's start ({@code event} null), end ({@code failure} null) or failure; one that
   * throws is logged and skipped, never the call's concern. Plain arguments rather than a lambda per event: a call's
   * path links no call site on its first run (HostWarmUpTest).
   */
  private void tell(ExecutionListener.Call call, ExecutionListener.Event event, Throwable failure) {
    for (ExecutionListener listener : listeners) {
      try {
        if (event == null) {
          listener.callStart(call);
        } else if (failure == null) {
          listener.callEnd(event);
        } else {
          listener.callFailed(event, failure);
        }
      } catch (RuntimeException e) {
        LOG.warn("Airlock execution listener {} failed", listener, e);
      }
    }
  }

  public PoolStats stats() {
    long n = executions.get();
    WorkerPool.Occupancy occupancy = workers.occupancy();
    return new PoolStats(occupancy.active(), occupancy.idle(), n, n == 0 ? 0 : latencyNanos.get() / 1e6 / n,
        failures.get(), timeouts.get(), fallbacks.get(), crashes.get(), workers.workersStarted());
  }

  /** What the backend enforces; {@link SandboxUnavailableException} when it cannot be had. */
  public IsolationPosture posture() {
    return workers.backend().posture();
  }

  public String backendName() {
    return backendName;
  }

  public AirlockConfig config() {
    return config;
  }

  /** Kills every worker (calls in flight fail with a clear exception) and closes the backend. */
  @Override
  public void close() {
    closed = true;
    workers.close();
  }

  /** Mutable builder; defaults come from the config it was made with. */
  public static final class Builder {
    private AirlockConfig config;
    private int minSize;
    private int maxSize;
    private Duration idleTimeout;
    private boolean reuse;
    private int memoryMb;
    private String backendName;
    private Supplier<SandboxBackend> backend;
    private final List<ExecutionListener> listeners = new ArrayList<>();

    private Builder(AirlockConfig config) {
      config(config);
    }

    /** Resets every setting to {@code config}'s. */
    public Builder config(AirlockConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      this.minSize = config.poolMinSize();
      this.maxSize = config.poolMaxSize();
      this.idleTimeout = config.poolIdleTimeout();
      this.reuse = config.poolReuse();
      this.memoryMb = config.memoryMb();
      this.backendName = config.backend();
      return this;
    }

    public Builder minSize(int minSize) {
      if (minSize < 0) {
        throw new IllegalArgumentException("minSize must be >= 0, was " + minSize);
      }
      this.minSize = minSize;
      return this;
    }

    public Builder maxSize(int maxSize) {
      if (maxSize < 1) {
        throw new IllegalArgumentException("maxSize must be >= 1, was " + maxSize);
      }
      this.maxSize = maxSize;
      return this;
    }

    public Builder idleTimeout(Duration idleTimeout) {
      if (idleTimeout.isNegative() || idleTimeout.isZero()) {
        throw new IllegalArgumentException("idleTimeout must be positive, was " + idleTimeout);
      }
      this.idleTimeout = idleTimeout;
      return this;
    }

    public Builder reuse(boolean reuse) {
      this.reuse = reuse;
      return this;
    }

    public Builder memoryMb(int memoryMb) {
      if (memoryMb < 16) {
        throw new IllegalArgumentException("memoryMb must be >= 16, was " + memoryMb);
      }
      this.memoryMb = memoryMb;
      return this;
    }

    /** A backend by name, found among the providers on the classpath. */
    public Builder backend(String name) {
      this.backendName = Objects.requireNonNull(name, "backend");
      this.backend = null;
      return this;
    }

    /** A backend made by {@code factory}, on first need (for tests and custom backends). */
    public Builder backend(String name, Supplier<SandboxBackend> factory) {
      this.backendName = Objects.requireNonNull(name, "backend");
      this.backend = Objects.requireNonNull(factory, "factory");
      return this;
    }

    public Builder listener(ExecutionListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    public SandboxPool build() {
      if (minSize > maxSize) {
        throw new IllegalArgumentException("minSize " + minSize + " is larger than maxSize " + maxSize);
      }
      return new SandboxPool(this);
    }
  }
}
