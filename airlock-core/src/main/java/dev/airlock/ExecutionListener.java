package dev.airlock;

import java.time.Duration;

/**
 * Told about every call a pool handles, for metrics, health and audit, in the manner of OkHttp's
 * {@code EventListener}: {@link #callStart} when the pool takes the call, then exactly one of {@link #callEnd} (it
 * returned) or {@link #callFailed} (it threw), whatever the path: a worker, the host fallback, or a refusal before
 * anything ran (saturated or closed pool, oversized or unshippable payload, no sandbox). Every method has a no-op
 * default so the interface can grow; {@link #callEnd} and {@link #callFailed} default to {@link #onExecution}, the one
 * method a listener that wants only outcomes overrides.
 *
 * <p>Guard refusals ({@link AirlockBlockedException}) and {@code sandbox = false} calls never reach a pool, so they are
 * not pool events; the interceptor's audit log counts them.
 *
 * <p>Called on the caller's thread; must be fast. A listener that throws is logged and skipped: it never changes the
 * call's result nor keeps other listeners from their events.
 */
public interface ExecutionListener {

  /** Hears nothing. */
  ExecutionListener NONE = new ExecutionListener() {
  };

  /** The pool took the call; nothing is checked or shipped yet. */
  default void callStart(Call call) {
  }

  /** The call returned a result ({@link Outcome#SUCCESS}, or {@link Outcome#FALLBACK} when it ran on the host). */
  default void callEnd(Event event) {
    onExecution(event);
  }

  /** The call threw {@code failure}, which the caller is about to get; {@code event} says how it ended. */
  default void callFailed(Event event, Throwable failure) {
    onExecution(event);
  }

  /** Every end, successful or not; the default target of {@link #callEnd} and {@link #callFailed}. */
  default void onExecution(Event event) {
  }

  /** How a call ended. */
  enum Outcome {
    /** Ran in a sandbox and returned. */
    SUCCESS,
    /** Ran in a sandbox and threw (the tool's exception, a rejected result, a lost worker channel). */
    ERROR,
    /** Stopped by its timeout in the sandbox; the worker was killed. */
    TIMEOUT,
    /** Its worker died, or hit a resource limit. */
    CRASH,
    /** Ran on the host because no sandbox could be had (returned or threw). */
    FALLBACK,
    /** No sandbox could be had and the call was refused. */
    UNAVAILABLE,
    /** Every worker stayed busy until the deadline ({@link PoolExhaustedException}); nothing was shipped. */
    POOL_EXHAUSTED,
    /** The pool was closed before the call got a worker; nothing was shipped. */
    CLOSED,
    /**
     * Refused on the host before any worker was touched: the payload was too large
     * ({@link PayloadTooLargeException}) or could not be serialized ({@link UnshippableInvocationException}).
     */
    REJECTED
  }

  /**
   * A call as the pool took it.
   *
   * @param method {@code Class.method}
   * @param backend the backend's name
   */
  record Call(String method, String backend) {
  }

  /**
   * @param method {@code Class.method}
   * @param backend the backend's name
   * @param outcome how it ended
   * @param duration host-side wall time from {@link #callStart}
   * @param workerPid the pid the worker reported of itself (its own claim, in its own PID namespace: never signal it),
   *     or -1 when none ran it
   */
  record Event(String method, String backend, Outcome outcome, Duration duration, long workerPid) {
  }
}
