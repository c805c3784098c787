package dev.airlock;

/**
 * A sandboxed call failed on Airlock's side of it: the base of the sandbox failures, each a subtype that says how.
 * Thrown as itself for the rest (the pool was closed, the wait for a worker was interrupted).
 */
public class SandboxExecutionException extends AirlockException {
  private static final long serialVersionUID = 1L;

  public SandboxExecutionException(String message) {
    super(message);
  }

  public SandboxExecutionException(String message, Throwable cause) {
    super(message, cause);
  }
}
