package dev.airlock;

/** The call hit a resource limit of its worker (memory or processes). */
public class SandboxResourceLimitException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;

  public SandboxResourceLimitException(String message) {
    super(message);
  }

  public SandboxResourceLimitException(String message, Throwable cause) {
    super(message, cause);
  }
}
