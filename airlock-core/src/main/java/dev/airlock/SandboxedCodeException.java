package dev.airlock;

import java.util.List;

/**
 * The tool's own code threw inside the sandbox an exception whose type is not rebuilt on the host (only the JDK's
 * own exception types are, since a class name from the sandbox must never load an application class). It carries
 * what the sandbox reported: the remote class name, its message and its stack; {@link #getStackTrace()} shows the
 * remote stack, a marker frame {@code airlock.sandbox.returnedToHost}, then the host's caller.
 */
public class SandboxedCodeException extends SandboxExecutionException {
  private static final long serialVersionUID = 1L;
  private final String remoteClassName;
  private final String remoteMessage;
  private final List<StackTraceElement> remoteStackTrace;

  public SandboxedCodeException(String remoteClassName, String remoteMessage, List<StackTraceElement> remoteStack,
      Throwable cause) {
    this(remoteClassName + " in the sandbox: " + (remoteMessage == null ? "(no message)" : remoteMessage),
        remoteClassName, remoteMessage, remoteStack, cause);
  }

  /** With {@code message} as this exception's own message (the guard's masked copy keeps the remote facts). */
  public SandboxedCodeException(String message, String remoteClassName, String remoteMessage,
      List<StackTraceElement> remoteStack, Throwable cause) {
    super(message, cause);
    this.remoteClassName = remoteClassName;
    this.remoteMessage = remoteMessage;
    this.remoteStackTrace = List.copyOf(remoteStack);
  }

  /**
   * The class name of the exception thrown in the sandbox, as the sandbox reported it: guest text, escaped like a
   * relayed log line (no line break or control character survives), as are the message and frames.
   */
  public String remoteClassName() {
    return remoteClassName;
  }

  /** Its message, or {@code null}. */
  public String remoteMessage() {
    return remoteMessage;
  }

  /** Its stack inside the sandbox, innermost frame first. */
  public List<StackTraceElement> remoteStackTrace() {
    return remoteStackTrace;
  }
}
