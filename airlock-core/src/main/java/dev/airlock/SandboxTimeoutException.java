package dev.airlock;

/** The call did not finish within its timeout; the worker was stopped. */
public class SandboxTimeoutException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;

  public SandboxTimeoutException(String message) {
    super(message);
  }

  public SandboxTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
