package dev.airlock;

import java.time.Duration;

/**
 * Told about every call a pool handles, for metrics and audit. Called on the caller's thread after the call; must
 * be fast and must not throw.
 */
@FunctionalInterface
public interface ExecutionListener {

  void onExecution(Event event);

  /** How a call ended. */
  enum Outcome {
    /** Ran in a sandbox and returned. */
    SUCCESS,
    /** Ran in a sandbox and threw (user exception or rejected result). */
    ERROR,
    /** Stopped by its timeout. */
    TIMEOUT,
    /** Its worker died, or hit a resource limit. */
    CRASH,
    /** Ran on the host because no sandbox could be had. */
    FALLBACK,
    /** No sandbox could be had and the call was refused. */
    UNAVAILABLE
  }

  /**
   * @param method {@code Class.method}
   * @param backend the backend's name
   * @param outcome how it ended
   * @param duration host-side wall time
   * @param workerPid the worker's pid, or -1 when none ran it
   */
  record Event(String method, String backend, Outcome outcome, Duration duration, long workerPid) {
  }
}
