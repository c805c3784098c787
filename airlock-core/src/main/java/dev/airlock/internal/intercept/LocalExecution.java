package dev.airlock.internal.intercept;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockContext;
import dev.airlock.HostCallTimeoutException;
import dev.airlock.internal.trace.CallTrace;
import dev.airlock.internal.trace.CallTracing;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a call on the host under its timeout. Host code cannot be killed, only interrupted: at the timeout the caller
 * gets {@link HostCallTimeoutException} and the thread is interrupted. The body runs on a pool thread, so
 * thread-bound context (transactions, security context) is not visible to it; only Airlock's own are carried over: the
 * caller's {@link AirlockContext}, and the call's trace, so spans the body opens are children of its
 * {@code execute_tool} span.
 *
 * <p>A body that ignores the interrupt keeps its thread after the caller gave up, and a model that keeps calling a
 * hanging tool would add a thread with each call. So the calls still running past their timeout are counted, JVM-wide
 * (the threads are), and while {@code airlock.max-overdue-host-calls} of them run, new host calls are refused.
 */
public final class LocalExecution {
  private static final Logger LOG = LoggerFactory.getLogger(LocalExecution.class);
  private static final AtomicLong THREADS = new AtomicLong();
  /** Host calls whose caller gave up (timeout or interrupt) while their body still runs. */
  private static final AtomicInteger OVERDUE = new AtomicInteger();
  /** Whether the refusal was logged since an overdue call last ended: once per time the bound is hit, not per call. */
  private static final AtomicBoolean WARNED = new AtomicBoolean();
  private static final int NEW = 0;
  private static final int RUNNING = 1;
  private static final int DONE = 2;
  private static final int LATE = 3;
  private static final int ABANDONED = 4;
  private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "airlock-host-call-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  private LocalExecution() {
  }

  /**
   * Runs {@code call} on a host thread; refused while {@code maxOverdue} host calls run past their timeout.
   *
   * <p>When the calling thread holds the monitor the body takes if it is a synchronized method ({@code receiver}, or
   * the class of {@code method} when static), the body runs on the calling thread instead, within the time its caller
   * has: a tool that a synchronized tool or a {@code synchronized (this)} block calls on the same object would wait
   * for that monitor on another thread until its timeout, and then run after its caller was told it did not finish.
   */
  public static Object run(LocalCall call, Object receiver, Method method, Duration timeout, String what,
      int maxOverdue) throws Throwable {
    if (Thread.holdsLock(receiver != null ? receiver : method.getDeclaringClass())) {
      CallTrace.Phase host = CallTracing.current().phase("airlock.host");
      try {
        return call.proceed();
      } finally {
        host.end();
      }
    }
    int overdue = OVERDUE.get();
    if (overdue >= maxOverdue) {
      String message = what + " was refused: " + overdue + " host calls are still running past their timeout ("
          + AirlockConfig.MAX_OVERDUE_HOST_CALLS + "=" + maxOverdue + "), each holding a thread that cannot be "
          + "killed; make the tool return when its thread is interrupted, or sandbox it (@Airlock(sandbox = true)) "
          + "so its timeout is enforced";
      if (WARNED.compareAndSet(false, true)) {
        LOG.warn("Airlock: {}", message);
      }
      throw new HostCallTimeoutException(message);
    }
    CallTrace trace = CallTracing.current();
    AirlockContext caller = AirlockContext.current().orElse(null);
    AtomicInteger state = new AtomicInteger(NEW);
    Future<Object> future = EXECUTOR.submit(() -> {
      if (!state.compareAndSet(NEW, RUNNING)) {
        return null;
      }
      CallTrace.Phase host = trace.phase("airlock.host");
      try (CallTrace.Scope traced = trace.bind();
          AirlockContext.Scope context = caller == null ? () -> { } : caller.bind()) {
        return call.proceed();
      } catch (Exception | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new ExecutionException(t);
      } finally {
        host.end();
        if (state.getAndSet(DONE) == LATE) {
          OVERDUE.decrementAndGet();
          WARNED.set(false);
        }
      }
    });
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      abandon(future, state);
      throw new HostCallTimeoutException(what + " ran on the host and did not finish within " + timeout.toSeconds()
          + " s; its thread was interrupted (host code cannot be killed: sandbox it to enforce the limit)");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ExecutionException nested && nested.getCause() != null) {
        cause = nested.getCause();
      }
      throw cause;
    } catch (InterruptedException e) {
      abandon(future, state);
      Thread.currentThread().interrupt();
      throw e;
    }
  }

  /**
   * Interrupts a body the caller no longer waits for, and counts it as overdue while it runs. Counted first, so the
   * count is never below the threads it bounds; a body that has not started yet never will.
   */
  private static void abandon(Future<Object> future, AtomicInteger state) {
    future.cancel(true);
    OVERDUE.incrementAndGet();
    if (!state.compareAndSet(RUNNING, LATE)) {
      OVERDUE.decrementAndGet();
      state.compareAndSet(NEW, ABANDONED);
    }
  }
}
