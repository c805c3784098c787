package dev.airlock.internal.wire;

/** Why a call ended in an ERROR frame. */
public enum FailureKind {
  /** The method threw; the failure is the user's exception. */
  USER_EXCEPTION,
  /** The worker's own watchdog stopped the call at its timeout. */
  TIMEOUT,
  /** The call ran out of heap (or another limit the worker itself saw). */
  RESOURCE_LIMIT,
  /** The return value encoded to more bytes than the host accepts. */
  RESULT_TOO_LARGE,
  /** The return value could not be serialized back. */
  UNSHIPPABLE_RESULT,
  /** The worker could not run the call at all (invocation not decodable, method not found). */
  WORKER_FAILURE;

  static FailureKind of(int ordinal) {
    FailureKind[] all = values();
    return ordinal >= 0 && ordinal < all.length ? all[ordinal] : null;
  }
}
