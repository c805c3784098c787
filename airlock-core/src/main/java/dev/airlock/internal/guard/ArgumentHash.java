package dev.airlock.internal.guard;

/**
 * A call's arguments as its audit record hashes them, hashed once. A sandboxed call has it hashed while its worker
 * runs the call ({@code Invocation.whileRunning}): the worker gets copies, so the answer cannot change what is hashed,
 * and the hash, interpreted at an agent's rate of calls, no longer follows the answer. Any other call has it hashed
 * when its record is written. Used by the caller's thread only.
 */
public final class ArgumentHash implements Runnable {
  private final Object[] args;
  private String value;

  public ArgumentHash(Object[] args) {
    this.args = args;
  }

  /** Hashes the arguments now, if not yet done. */
  @Override
  public void run() {
    value();
  }

  /** The hash written in the audit record ({@code hmac:...}). */
  public String value() {
    if (value == null) {
      value = AuditLog.hash(args);
    }
    return value;
  }
}
