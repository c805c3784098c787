package dev.airlock;

import dev.airlock.internal.approval.ApprovalAccess;
import dev.airlock.internal.approval.ApprovalGate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Human approval of tool calls that a policy ({@code requireApproval}) or {@code @Airlock(approval = true)} marks.
 * The policy and argument validation run first, so a call that would be blocked never waits for anyone. Then, in
 * one of two modes:
 *
 * <ul>
 *   <li><b>blocking</b> (a {@link ApprovalHandler} is set): the calling thread waits for the handler's decision up to
 *       {@code timeout}; no decision by then denies the call.
 *   <li><b>suspended</b> (no handler; the default): the call ends at once with
 *       {@link AirlockApprovalRequiredException} ("awaiting approval", with the call id) and waits in the
 *       {@link ApprovalStore}, holding no thread and no worker, until {@link #resume} runs it or
 *       {@code expireAfter} passes.
 * </ul>
 *
 * <pre>{@code
 * AirlockApprovals approvals = AirlockApprovals.shared();          // what @Airlock calls use outside Spring
 * ...
 * for (ApprovalRequest r : approvals.pending()) { ... }             // show them to a person
 * Object result = approvals.resume(callId, ApprovalDecision.approve("alice"));
 * }</pre>
 *
 * <p>A call runs exactly once, with exactly the arguments it was suspended with (or the approver's edits, checked
 * as the originals were): a second {@code resume} of the same id, from any thread, is refused, as is an unknown or
 * expired id. Every step is an audit record on {@code dev.airlock.audit} and counted in {@link #counts()}.
 */
public final class AirlockApprovals {
  static {
    ApprovalAccess.install(new ApprovalAccess() {
      @Override
      protected ApprovalGate gateOf(AirlockApprovals approvals) {
        return approvals.gate;
      }
    });
  }

  /** Calls kept by the default store. */
  public static final int DEFAULT_MAX_PENDING = 1_000;
  /** Calls one agent session (an {@link AirlockContext}'s agent and session) may keep waiting by default. */
  public static final int DEFAULT_MAX_PENDING_PER_SESSION = 100;
  /** How long a suspended call waits by default. */
  public static final Duration DEFAULT_EXPIRE_AFTER = Duration.ofHours(1);
  /** How long a blocking call waits for its handler by default. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  private static volatile AirlockApprovals shared = builder().build();

  private final ApprovalGate gate;

  private AirlockApprovals(Builder b) {
    gate = new ApprovalGate(b.handler, b.timeout, b.store == null ? ApprovalStore.inMemory(DEFAULT_MAX_PENDING)
        : b.store, b.expireAfter, b.maxPendingPerSession, b.clock);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The approvals of calls intercepted outside Spring (java agent, AspectJ): suspended mode unless replaced. */
  public static AirlockApprovals shared() {
    return shared;
  }

  /** Replaces {@link #shared()}; calls already suspended stay with the one they were suspended in. */
  public static void installShared(AirlockApprovals approvals) {
    shared = Objects.requireNonNull(approvals, "approvals");
  }

  /** Whether calls wait for a handler (blocking) rather than being suspended. */
  public boolean blocking() {
    return gate.blocking();
  }

  /** The suspended calls waiting for a decision and not expired, oldest first. */
  public List<ApprovalRequest> pending() {
    return gate.pending();
  }

  /**
   * Decides the suspended call {@code callId}. Denied, it never runs and this throws
   * {@link AirlockBlockedException} ({@code NOT_APPROVED}, with the reason). Approved, it runs now on this thread,
   * under the guard and with the caller's {@link AirlockContext} bound, and this returns its (masked) result or
   * throws what it threw, as the original call would have.
   *
   * @throws IllegalArgumentException when {@code callId} is not pending: unknown, already decided, or expired
   */
  public Object resume(String callId, ApprovalDecision decision) throws Throwable {
    return gate.resume(callId, Objects.requireNonNull(decision, "decision"));
  }

  /**
   * Approval steps per outcome since start: {@code suspended}, {@code approved}, {@code edited}, {@code denied},
   * {@code timeout}, {@code expired}, {@code full}, {@code refused}.
   */
  public Map<String, Long> counts() {
    return gate.audit().counts();
  }

  /** Mutable builder; {@link #build()} returns the immutable approvals. */
  public static final class Builder {
    private ApprovalHandler handler;
    private Duration timeout = DEFAULT_TIMEOUT;
    private ApprovalStore store;
    private Duration expireAfter = DEFAULT_EXPIRE_AFTER;
    private int maxPendingPerSession = DEFAULT_MAX_PENDING_PER_SESSION;
    private Clock clock = Clock.systemUTC();

    private Builder() {
    }

    /** Blocking mode: {@code handler} decides each call while the caller waits. */
    public Builder handler(ApprovalHandler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** Blocking mode: how long the caller waits for the handler's decision; no decision by then denies. */
    public Builder timeout(Duration timeout) {
      this.timeout = positive(timeout, "timeout");
      return this;
    }

    /** Suspended mode: where pending calls wait; default {@code ApprovalStore.inMemory(1000)}. */
    public Builder store(ApprovalStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** Suspended mode: how long a pending call may wait; a decision after that is refused. */
    public Builder expireAfter(Duration expireAfter) {
      this.expireAfter = positive(expireAfter, "expireAfter");
      return this;
    }

    /**
     * Suspended mode: how many calls one session (the bound {@link AirlockContext}'s agent and session; calls with
     * none count as one session) may keep waiting, so one model cannot fill the store for every other session.
     */
    public Builder maxPendingPerSession(int maxPendingPerSession) {
      if (maxPendingPerSession < 1) {
        throw new IllegalArgumentException("maxPendingPerSession must be at least 1, was " + maxPendingPerSession);
      }
      this.maxPendingPerSession = maxPendingPerSession;
      return this;
    }

    /** The time of expiry checks and audit records. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public AirlockApprovals build() {
      return new AirlockApprovals(this);
    }

    private static Duration positive(Duration value, String name) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be a positive duration, was " + value);
      }
      return value;
    }
  }
}
