package dev.airlock;

/** An invocation or a result was larger than {@code airlock.max-payload-bytes} or {@code airlock.max-result-bytes}; it was neither sent nor decoded. */
public class PayloadTooLargeException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;

  public PayloadTooLargeException(String message) {
    super(message);
  }

  public PayloadTooLargeException(String message, Throwable cause) {
    super(message, cause);
  }
}
