package dev.airlock;

/**
 * A call that ran on the host ({@code sandbox = false}, or a fallback when no sandbox could be had) did not finish
 * within its timeout. Its thread was interrupted, not killed: host code cannot be stopped, so the body may still be
 * running. Deliberately not a {@link SandboxTimeoutException}, whose worker is gone when it is thrown; sandbox the
 * method to enforce the limit.
 *
 * <p>Also thrown, before anything runs, for a host call made while {@link AirlockConfig#maxOverdueHostCalls()} such
 * calls still run: each keeps a thread, and nothing else bounds them.
 */
public class HostCallTimeoutException extends AirlockException {
  private static final long serialVersionUID = 1L;

  public HostCallTimeoutException(String message) {
    super(message);
  }
}
