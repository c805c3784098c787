package dev.airlock;

/**
 * Base of everything Airlock throws about a sandboxed call. When user code in the sandbox threw an exception that
 * cannot be rebuilt on the host, this exception carries the remote class, message and stack instead.
 */
public class SandboxExecutionException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String remoteClassName;

  public SandboxExecutionException(String message) {
    this(message, null, null);
  }

  public SandboxExecutionException(String message, Throwable cause) {
    this(message, cause, null);
  }

  public SandboxExecutionException(String message, Throwable cause, String remoteClassName) {
    super(message, cause);
    this.remoteClassName = remoteClassName;
  }

  /** The class name of the exception thrown inside the sandbox, or {@code null} when the failure was Airlock's. */
  public String remoteClassName() {
    return remoteClassName;
  }
}
