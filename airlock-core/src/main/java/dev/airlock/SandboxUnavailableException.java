package dev.airlock;

/** No sandbox could be had (backend missing, misconfigured or unreachable); nothing was shipped. */
public class SandboxUnavailableException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;

  public SandboxUnavailableException(String message) {
    super(message);
  }

  public SandboxUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
