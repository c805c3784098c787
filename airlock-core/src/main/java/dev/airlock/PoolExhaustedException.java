package dev.airlock;

/**
 * Every worker of the pool stayed busy until the call's deadline ({@code airlock.pool.max-size} reached), so the call
 * never started: nothing was shipped. Not a {@link SandboxTimeoutException} (no code ran out of time) and not a
 * {@link SandboxUnavailableException}: a saturated pool never makes a call fall back to the host, since a guest that
 * holds its workers busy could otherwise push calls out of the sandbox. Raise the pool size or the timeout, or shed
 * load.
 */
public class PoolExhaustedException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;

  public PoolExhaustedException(String message) {
    super(message);
  }
}
