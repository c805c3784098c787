package dev.airlock.internal.pool;

import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxProtocolException;
import dev.airlock.SandboxResourceLimitException;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.UnshippableInvocationException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.codec.ExceptionRebuilder;
import dev.airlock.internal.trace.CallTrace;
import dev.airlock.internal.trace.CallTracing;
import dev.airlock.internal.trace.TraceIds;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.spi.WorkerHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of one connected worker: handshake, one call at a time, and the translation of whatever happens
 * into the caller's result or one {@link SandboxExecutionException} subtype. Layer two of the timeout lives here: a
 * watchdog kills the worker at timeout + grace, which unblocks the read.
 */
public final class WorkerSession implements SlotLedger.Occupant {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerSession.class);
  static final Duration GRACE = Duration.ofMillis(1500);
  /** LOG frames a warm-up's answer may follow: its own code prints nothing, so only a library's notice. */
  private static final int WARM_UP_LOG_FRAMES = 64;
  /**
   * Call and warm-up ids are drawn at random, never counted: a call's guest code can learn its own id (it is in the
   * worker's memory, and in the folder a file argument is written to), and with ids counted up by one it wrote an
   * answer to the next call's id behind its own, which the next call of a reused worker read as its answer without
   * its method ever running (AnswerAheadTest). Random, an id says nothing of the next.
   */
  private static final SecureRandom CALL_IDS = new SecureRandom();
  /**
   * Ids drawn ahead, 256 at a time: one {@code nextLong} took 1.8 us of the calling thread, a share of a batch 0.45 us
   * (NativePRNG, JDK 17). Guarded by the class.
   */
  private static final long[] DRAWN = new long[256];
  private static int drawnLeft;

  private final WorkerHandle handle;
  private final FrameReader reader;
  private final FrameWriter writer;
  private final ScheduledExecutorService scheduler;
  /** Runs the kills of watchdogs and of failed calls, off the scheduler and the caller ({@link #killInBackground}). */
  private final Executor killer;
  /**
   * The worker's one kill, run by whoever asks first; later asks return at once, as a backend's own kill does. A
   * watchdog hands it to {@link #killer} rather than run it on the scheduler: a kill can take long (the local backend
   * waits up to 5 s for the process tree and its cgroups, Docker makes two engine calls of up to 30 s each), and the
   * scheduler is every call's watchdog: one slow kill there fired every other call's timeout late, by as long as the
   * kill took (SlowKillTest).
   */
  private final FutureTask<Void> killTask;
  private volatile long pid = -1;
  private volatile boolean broken;
  private volatile boolean closedByPool;
  private Object scope;
  private long idleSince = System.nanoTime();
  private volatile int callsStarted;
  /** With kills started by a watchdog run on the scheduler itself: for a session that is the scheduler's only one. */
  public WorkerSession(WorkerHandle handle, int maxResultBytes, ScheduledExecutorService scheduler) {
    this(handle, maxResultBytes, scheduler, Runnable::run);
  }

  /** {@code killer} runs the kills the watchdogs start, so that no kill holds the scheduler. */
  public WorkerSession(WorkerHandle handle, int maxResultBytes, ScheduledExecutorService scheduler, Executor killer) {
    this.handle = handle;
    this.reader = new FrameReader(handle.input(), maxResultBytes);
    this.writer = new FrameWriter(handle.output());
    this.scheduler = scheduler;
    this.killer = killer;
    this.killTask = new FutureTask<>(handle::kill, null);
  }

  /** A positive id no earlier one predicts (the worker's own warm-up call is 0). */
  private static synchronized long nextId() {
    long id;
    do {
      if (drawnLeft == 0) {
        byte[] bytes = new byte[DRAWN.length * Long.BYTES];
        CALL_IDS.nextBytes(bytes);
        ByteBuffer.wrap(bytes).asLongBuffer().get(DRAWN);
        drawnLeft = DRAWN.length;
      }
      id = DRAWN[--drawnLeft] & Long.MAX_VALUE;
    } while (id == 0);
    return id;
  }

  /**
   * Names classes for the worker to load before its first call; it answers nothing. A worker that cannot take the
   * frame is marked unusable, so the pool replaces it.
   */
  void prepare(List<String> classNames) {
    try {
      writer.write(FrameType.PREPARE, Messages.prepare(classNames));
    } catch (IOException e) {
      broken = true;
    }
  }

  /**
   * Runs the worker's warm-up call before the pool lists it idle: sends WARM_UP and reads its WARMED, killing the
   * worker at {@code timeout}. Part of a pre-started worker's start, so that the next worker's JVM starts only once it
   * has ended: started beside it on two cores, it stretched the warm-up from about 50 ms to 200-300 ms, and a call
   * arriving meanwhile waited for it (issue 15's call 1 s after start). A caller who comes while it runs waits for
   * it as for a worker still starting. Any other answer, or none in time, fails this worker's start as a failed
   * handshake does: no call ran in it, and none will.
   */
  void warmUp(Duration timeout) {
    long warmUpId = nextId();
    ScheduledFuture<?> watchdog = killAt(timeout);
    try {
      writer.write(FrameType.WARM_UP, Messages.warmUp(warmUpId));
      Frame frame = reader.read();
      // What the worker printed meanwhile (a logging library's notice on its first use) answers nothing: a bounded
      // number of such frames is passed over.
      for (int printed = 0; frame.type() == FrameType.LOG && printed < WARM_UP_LOG_FRAMES; printed++) {
        frame = reader.read();
      }
      if (frame.type() != FrameType.WARMED) {
        throw new SandboxProtocolException("worker " + handle.id() + " answered its warm-up with " + frame.type());
      }
      long answered = Messages.warmUp(frame.body(), "WARMED");
      if (answered != warmUpId) {
        throw new SandboxProtocolException("worker " + handle.id() + " answered warm-up " + answered + " while "
            + warmUpId + " was asked");
      }
    } catch (IOException | RuntimeException | Error e) {
      throw failedStart("its warm-up", e);
    } finally {
      watchdog.cancel(false);
    }
  }

  /**
   * Reads HELLO and checks version and classpath. Any failure is this one worker's, never the backend's: a
   * {@link SandboxCrashedException}, which no caller turns into a host call. (A guest can make a worker fail to start,
   * for instance by exhausting a limit the next worker shares; that must not become a fallback to the host.)
   */
  public void handshake(String expectedFingerprint, Duration timeout) {
    ScheduledFuture<?> watchdog = killAt(timeout);
    try {
      Frame frame = reader.read();
      if (frame.type() != FrameType.HELLO) {
        throw new SandboxProtocolException("worker " + handle.id() + " opened with " + frame.type()
            + " instead of HELLO");
      }
      Messages.Hello hello = Messages.hello(frame.body());
      if (hello.protocolVersion() != Messages.PROTOCOL_VERSION) {
        throw new SandboxCrashedException("worker " + handle.id() + " speaks protocol "
            + hello.protocolVersion() + ", the host " + Messages.PROTOCOL_VERSION
            + ": the worker runs another Airlock version; use the same airlock-core on both sides");
      }
      if (expectedFingerprint != null && !expectedFingerprint.equals(hello.classpathFingerprint())) {
        throw new SandboxCrashedException("worker " + handle.id() + " has another classpath (fingerprint "
            + hello.classpathFingerprint() + ", host " + expectedFingerprint
            + "): it cannot load the application's classes");
      }
      pid = hello.pid();
    } catch (IOException | RuntimeException | Error e) {
      throw failedStart("its handshake", e);
    } finally {
      watchdog.cancel(false);
    }
  }

  /** A watchdog that kills the worker at {@code timeout} of a step of its start, which unblocks the step's read. */
  private ScheduledFuture<?> killAt(Duration timeout) {
    return scheduler.schedule(this::killInBackground, timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Kills the worker whose start {@code step} failed. Whatever went wrong is this one worker's failure, never the
   * backend's, and no call ran in it; an {@link Error} is thrown on as it is.
   */
  private SandboxCrashedException failedStart(String step, Throwable e) {
    kill();
    if (e instanceof Error error) {
      throw error;
    }
    if (e instanceof SandboxCrashedException c) {
      return c;
    }
    return new SandboxCrashedException("worker " + handle.id() + " failed " + step + ": " + e.getMessage() + " ("
        + handle.describeExit() + "); no call ran in it", e);
  }

  /**
   * The caller's side of a call once its invocation is on its way: work that does not need the result, run on the
   * caller's thread while the worker runs the call, instead of before or after it. A fresh worker's call takes about
   * a millisecond in the worker, and the host's own steps run interpreted at an agent's rate of calls, so what runs
   * here no longer adds to the call's time.
   */
  public interface WhileRunning {
    /**
     * Runs once the invocation is written and before the worker's answer is read; returns the allowlist the result
     * is read against. Anything it throws fails the call, and the worker, which may still be running it, is not
     * used again.
     */
    ClassAllowlist run();
  }

  /**
   * Runs one call: sends the invocation, runs {@code whileRunning}, forwards LOG frames to {@code log}, and returns
   * the decoded result or throws the rebuilt user exception or a {@link SandboxExecutionException} subtype.
   */
  public Object call(byte[] invocation, Duration timeout, int maxResultBytes, WhileRunning whileRunning, Logger log)
      throws Throwable {
    return call(invocation, timeout, System.nanoTime() + timeout.toNanos(), maxResultBytes, whileRunning, log);
  }

  /**
   * As above for a call made earlier, which must end by {@code deadline} (nanoTime): the worker and the watchdog get
   * what is left of {@code timeout}, not all of it again. A call that waited for its worker (all of them busy, or one
   * starting for it) was given its whole timeout after the wait, so guests holding the pool's workers made another
   * caller wait up to twice its timeout (QueuedCallTimeoutTest).
   */
  public Object call(byte[] invocation, Duration timeout, long deadline, int maxResultBytes,
      WhileRunning whileRunning, Logger log) throws Throwable {
    long callId = nextId();
    long timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    TimeoutWatchdog watchdog = new TimeoutWatchdog();
    watchdog.future = scheduler.schedule(watchdog, timeoutMillis + GRACE.toMillis(), TimeUnit.MILLISECONDS);
    Throwable failure;
    CallTrace trace = CallTracing.current();
    String traceparent = trace.traceparent();
    CallLog printed = new CallLog(log, pid, TraceIds.of(traceparent));
    callsStarted++;
    try {
      CallTrace.Phase ship = trace.phase("airlock.ship");
      writer.write(FrameType.INVOKE, Messages.invoke(new Messages.Invoke(callId, timeoutMillis, maxResultBytes,
          traceparent, invocation)));
      ship.end();
      CallTrace.Phase run = trace.phase("airlock.run");
      // What fails here fails the call and breaks the worker (below): it has the call and may still run it.
      ClassAllowlist allowlist = whileRunning.run();
      while (true) {
        Frame frame = reader.read();
        if (frame.type() == FrameType.LOG) {
          printed.accept(frame.body());
        } else if (frame.type() == FrameType.RESULT) {
          run.end();
          Messages.Result result = Messages.result(frame.body());
          checkCallId(callId, result.callId());
          log.debug("[sandbox {}] printed {} lines", pid, result.printedLines());
          CallTrace.Phase decode = trace.phase("airlock.decode");
          Object decoded = Codec.decodeResult(result.payload(), allowlist, watchdog);
          decode.end();
          return decoded;
        } else if (frame.type() == FrameType.ERROR) {
          run.end();
          Messages.Error error = Messages.error(frame.body());
          checkCallId(callId, error.callId());
          CallTrace.Phase decode = trace.phase("airlock.decode");
          failure = failure(error, allowlist, timeout, maxResultBytes);
          decode.end();
          break;
        } else {
          throw new SandboxProtocolException("worker sent " + frame.type() + " during a call");
        }
      }
    } catch (SandboxExecutionException e) {
      broken = true;
      if (watchdog.fired) {
        throw timeoutException(timeout);
      }
      throw e;
    } catch (IOException e) {
      broken = true;
      if (watchdog.fired) {
        throw timeoutException(timeout);
      }
      throw died(e);
    } catch (RuntimeException | Error e) {
      // Anything else that ended the call before its answer was taken: the worker is not known to be in step.
      broken = true;
      throw e;
    } finally {
      watchdog.future.cancel(false);
      printed.finish();
      idleSince = System.nanoTime();
    }
    throw failure;
  }

  private Throwable failure(Messages.Error error, ClassAllowlist allowlist, Duration timeout, int maxResultBytes) {
    String message = error.failure().message();
    switch (error.kind()) {
      case USER_EXCEPTION:
        return ExceptionRebuilder.rebuild(error.failure());
      case TIMEOUT:
        broken = true;
        return timeoutException(timeout);
      case RESOURCE_LIMIT:
        broken = true;
        return new SandboxResourceLimitException("the call ran out of memory in its worker (" + message
            + "): raise @Airlock(memoryMb) or airlock.memory-mb");
      case RESULT_TOO_LARGE:
        return new PayloadTooLargeException("the result is larger than the limit of " + maxResultBytes
            + " bytes (airlock.max-result-bytes); it was not sent. Return less data or raise the limit");
      case UNSHIPPABLE_RESULT:
        return new UnshippableInvocationException("the result could not be shipped back: " + message
            + ". Return plain data (records, collections, strings) rather than handles");
      default:
        broken = true;
        return new SandboxExecutionException("the worker could not run the call: " + error.failure().className()
            + ": " + message);
    }
  }

  private SandboxTimeoutException timeoutException(Duration timeout) {
    killInBackground();
    return new SandboxTimeoutException("the call did not finish within its timeout of " + timeout.toSeconds()
        + " s; its worker was killed. Raise @Airlock(timeoutSeconds) if the work is legitimate");
  }

  private SandboxExecutionException died(IOException cause) {
    if (closedByPool) {
      return new SandboxExecutionException("the pool was closed while the call was running", cause);
    }
    waitForDeath();
    Optional<String> limit = handle.resourceLimitHit();
    String exit = handle.describeExit();
    killInBackground();
    if (limit.isPresent()) {
      return new SandboxResourceLimitException(limit.get() + "; raise @Airlock(memoryMb) or airlock.memory-mb",
          cause);
    }
    return new SandboxCrashedException("the worker died during the call (" + exit
        + "); the call was not re-run on the host", cause);
  }

  private void waitForDeath() {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (handle.isAlive() && System.nanoTime() < until) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void checkCallId(long expected, long actual) {
    if (expected != actual) {
      throw new SandboxProtocolException("worker answered call " + actual + " while call " + expected
          + " was waiting");
    }
  }

  /**
   * Asks the worker to exit, then kills it (layer three: the whole process tree). Returns at once when another thread
   * (a watchdog's kill) is already killing it: {@link #awaitKilled()} waits for that.
   */
  public void kill() {
    broken = true;
    killTask.run();
  }

  /**
   * A kill nobody waits for here: a watchdog's (on the killer, never on the scheduler that fires every other call's
   * watchdog), and a caller's whose call timed out or whose worker died (its answer is ready; a caller that ran the
   * kill itself waited as long as the kill took, past its timeout + grace, SlowKillTest). The pool counts the worker's
   * slot as taken until the kill is done ({@link #awaitKilled()}).
   */
  private void killInBackground() {
    broken = true;
    try {
      killer.execute(killTask);
    } catch (RejectedExecutionException closing) {
      // The pool is closing and kills every worker itself; kill here all the same, or this one might outlive it.
      killTask.run();
    }
  }

  /** Whether the worker's kill has run to its end. */
  boolean killDone() {
    return killTask.isDone();
  }

  /**
   * Kills the worker if nobody has, and waits until its kill is done, by whichever thread runs it: the pool counts
   * a worker's slot as taken until then, so a slow kill cannot let more workers run than the pool allows, and close
   * does not close the backend under it.
   */
  void awaitKilled() {
    kill();
    try {
      killTask.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LOG.warn("killing worker {} failed: {}", handle.id(), e.getCause().toString());
    }
  }

  void closeByPool() {
    closedByPool = true;
    kill();
  }

  @Override
  public boolean usable() {
    return !broken && handle.isAlive();
  }

  /**
   * Lets the backend record what the worker holds now, before its first call, so that it can prove the worker idle
   * after each (only pools that reuse workers ask: it reads the process tree once). A backend that fails to record
   * it cannot prove anything later, and the worker is simply not reused.
   */
  void recordReadyState() {
    try {
      handle.ready();
    } catch (RuntimeException e) {
      LOG.debug("worker {} could not record its ready state; it will not be reused", handle.id(), e);
    }
  }

  /**
   * Usable, nothing sent after its last answer, and its backend proves from outside that nothing of the last call
   * still runs in it. A worker says nothing between calls: bytes waiting behind an answer were written by guest code
   * for a later call to read (AnswerAheadTest).
   */
  boolean reusable() {
    return usable() && handle.provablyIdle() && nothingUnread();
  }

  private boolean nothingUnread() {
    try {
      return handle.input().available() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The trust domain whose calls this worker ran ({@code null} before its first call): once a call ran here, its
   * static state and anything it left stay, so later calls must come from the same domain.
   */
  @Override
  public Object scope() {
    return scope;
  }

  @Override
  public void bindTo(Object callScope) {
    scope = callScope;
  }

  public long pid() {
    return pid;
  }

  /** How many calls were sent to this worker: more than none when it is being reused. Only the caller holding it. */
  public int callsStarted() {
    return callsStarted;
  }

  public String id() {
    return handle.id();
  }

  /** The backend's handle, for what the pool arranges around a call (its egress). */
  public WorkerHandle handle() {
    return handle;
  }

  @Override
  public long idleNanos() {
    return System.nanoTime() - idleSince;
  }

  /** Kills the worker when it fires; as a {@link BooleanSupplier}, tells the result's decoding that it has. */
  private final class TimeoutWatchdog implements Runnable, BooleanSupplier {
    volatile boolean fired;
    volatile ScheduledFuture<?> future;

    @Override
    public boolean getAsBoolean() {
      return fired;
    }

    @Override
    public void run() {
      fired = true;
      LOG.debug("worker {} passed its timeout plus grace; killing it", handle.id());
      killInBackground();
    }
  }
}
