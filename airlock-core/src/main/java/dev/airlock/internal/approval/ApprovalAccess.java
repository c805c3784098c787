package dev.airlock.internal.approval;

import dev.airlock.AirlockApprovals;

/**
 * The interceptor's way to the {@link ApprovalGate} behind an {@link AirlockApprovals}, which is not public API
 * (as {@code PoolAccess}): {@code AirlockApprovals}' static initializer installs the one implementation, so it is in
 * place before any instance exists.
 */
public abstract class ApprovalAccess {
  private static volatile ApprovalAccess instance;

  protected ApprovalAccess() {
  }

  /** Called once, by {@code AirlockApprovals}. */
  public static synchronized void install(ApprovalAccess access) {
    if (instance != null) {
      throw new IllegalStateException("ApprovalAccess is installed once, by AirlockApprovals");
    }
    instance = access;
  }

  public static ApprovalGate gate(AirlockApprovals approvals) {
    return instance.gateOf(approvals);
  }

  protected abstract ApprovalGate gateOf(AirlockApprovals approvals);
}
