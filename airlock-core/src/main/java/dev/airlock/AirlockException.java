package dev.airlock;

/**
 * Root of everything Airlock itself throws about a call, so one {@code catch (AirlockException e)} separates
 * Airlock's refusals and failures from the tool's own exceptions (which reach the caller as themselves when the JDK
 * defines them, else as {@link SandboxedCodeException}, itself an {@code AirlockException}).
 *
 * <ul>
 *   <li>{@link AirlockBlockedException}: the guard refused the call before anything ran.
 *   <li>{@link AirlockApprovalRequiredException}: the call awaits a person's approval and was suspended; nothing ran.
 *   <li>{@link SandboxExecutionException}: the sandboxed path failed; its subtypes say how (timeout, crash, resource
 *       limit, protocol, unavailable, pool exhausted, payload too large, unshippable, the tool's own exception).
 *   <li>{@link HostCallTimeoutException}: a call that ran on the host outlived its timeout.
 * </ul>
 *
 * <p>Misuse of the API (a bad builder value, a call that no {@code @Airlock} governs) is reported with the JDK's
 * {@link IllegalArgumentException} and {@link IllegalStateException}, as any library does.
 */
public abstract class AirlockException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected AirlockException(String message) {
    super(message);
  }

  protected AirlockException(String message, Throwable cause) {
    super(message, cause);
  }
}
