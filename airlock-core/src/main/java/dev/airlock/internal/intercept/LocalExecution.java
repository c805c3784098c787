package dev.airlock.internal.intercept;

import dev.airlock.AirlockContext;
import dev.airlock.HostCallTimeoutException;
import dev.airlock.internal.trace.CallTrace;
import dev.airlock.internal.trace.CallTracing;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a call on the host under its timeout. Host code cannot be killed, only interrupted: at the timeout the caller
 * gets {@link HostCallTimeoutException} and the thread is interrupted. The body runs on a pool thread, so
 * thread-bound context (transactions, security context) is not visible to it; only Airlock's own are carried over: the
 * caller's {@link AirlockContext}, and the call's trace, so spans the body opens are children of its
 * {@code execute_tool} span.
 */
public final class LocalExecution {
  private static final AtomicLong THREADS = new AtomicLong();
  private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "airlock-host-call-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  private LocalExecution() {
  }

  public static Object run(LocalCall call, Duration timeout, String what) throws Throwable {
    CallTrace trace = CallTracing.current();
    AirlockContext caller = AirlockContext.current().orElse(null);
    Future<Object> future = EXECUTOR.submit(() -> {
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
      }
    });
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new HostCallTimeoutException(what + " ran on the host and did not finish within " + timeout.toSeconds()
          + " s; its thread was interrupted (host code cannot be killed: sandbox it to enforce the limit)");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ExecutionException nested && nested.getCause() != null) {
        cause = nested.getCause();
      }
      throw cause;
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw e;
    }
  }
}
