package dev.airlock.internal.backend;

import dev.airlock.internal.egress.EgressReport;
import dev.airlock.internal.egress.EgressRules;
import dev.airlock.spi.WorkerHandle;
import java.util.List;
import java.util.Optional;

/**
 * How a backend decides, outside the worker, where one worker may connect during one call. A worker without one
 * has no way out at all; one with it refuses every connection outside {@link #beginCall}/{@link #endCall}.
 */
public interface EgressControl {

  /** Implemented by worker handles that may have an egress control. */
  interface Source {
    /** The worker's control, or empty when its pool has no egress. */
    Optional<EgressControl> egressControl();

    /**
     * Why this worker's backend can give it no egress path at all (Morph: its instances have the whole internet and
     * no egress filter), said to a call that names hosts; empty when a pool with egress configured would have one.
     */
    default Optional<String> egressUnsupported() {
      return Optional.empty();
    }
  }

  /** {@code handle}'s control, or empty. */
  static Optional<EgressControl> of(WorkerHandle handle) {
    return handle instanceof Source s ? s.egressControl() : Optional.empty();
  }

  /**
   * Refuses, before anything is sent, a call whose entries ({@code airlock.egress.allow}, the policy's, the
   * annotation's) this worker cannot honour; the default honours any. A backend whose workers got their egress when
   * they were created (E2B) refuses entries it was not created with.
   */
  default void check(List<String> entries) {
  }

  /**
   * Opens the worker's egress to {@code rules} for the call about to be sent. Throws
   * {@link dev.airlock.SandboxExecutionException} naming the fix when this backend cannot honour them; the call is then
   * not sent.
   */
  void beginCall(EgressRules rules);

  /** Closes it again (before the result is returned) and says what the call did. */
  EgressReport endCall();

  /**
   * What this control cannot measure of a call, said in the call's report instead of zeros that would read as
   * measurements: a backend whose rules are enforced by the provider (E2B's firewall) sees no host, byte or refusal
   * of its calls. Empty when {@link #endCall()}'s report is measured.
   */
  default Optional<String> unmeasured() {
    return Optional.empty();
  }
}
