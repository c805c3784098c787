package dev.airlock;

/** The worker broke the wire protocol (bad frame, wrong call id, class outside the allowlist): its answer was discarded. */
public class SandboxProtocolException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;

  public SandboxProtocolException(String message) {
    super(message);
  }

  public SandboxProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
