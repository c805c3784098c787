package dev.airlock;

/** The receiver or an argument cannot be serialized into the sandbox; the message names the path to it and the fix. */
public class UnshippableInvocationException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;

  public UnshippableInvocationException(String message) {
    super(message);
  }

  public UnshippableInvocationException(String message, Throwable cause) {
    super(message, cause);
  }
}
