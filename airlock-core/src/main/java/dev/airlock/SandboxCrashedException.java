package dev.airlock;

/** The worker died during the call (for example {@code System.exit} or a native crash). */
public class SandboxCrashedException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;

  public SandboxCrashedException(String message) {
    super(message);
  }

  public SandboxCrashedException(String message, Throwable cause) {
    super(message, cause);
  }
}
