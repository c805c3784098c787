package dev.airlock;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A person's answer to an {@link ApprovalRequest}: approve, deny with a reason the model reads, or approve with
 * edited arguments. Edited arguments replace the call's arguments only after they passed the same checks as the
 * original ones (types, validation, the policy), so an edit cannot let through what the guard would block.
 *
 * <pre>{@code
 * approvals.resume(callId, ApprovalDecision.approve("alice"));
 * approvals.resume(callId, ApprovalDecision.deny("alice", "send it to the team list instead"));
 * approvals.resume(callId, ApprovalDecision.approveWithArguments("alice", "team@example.com", "draft"));
 * }</pre>
 */
public final class ApprovalDecision {
  private final boolean approved;
  private final String approver;
  private final String reason;
  private final List<Object> editedArguments;

  private ApprovalDecision(boolean approved, String approver, String reason, List<Object> editedArguments) {
    if (approver == null || approver.isBlank()) {
      throw new IllegalArgumentException("an approval decision names who made it (approver), for the audit record");
    }
    this.approved = approved;
    this.approver = approver;
    this.reason = reason;
    this.editedArguments = editedArguments;
  }

  /** The call runs with the arguments it was made with. */
  public static ApprovalDecision approve(String approver) {
    return new ApprovalDecision(true, approver, null, null);
  }

  /** The call never runs; the model gets {@code reason}. */
  public static ApprovalDecision deny(String approver, String reason) {
    return new ApprovalDecision(false, approver, Objects.requireNonNull(reason, "reason"), null);
  }

  /**
   * The call runs with {@code arguments} instead of its own (one per parameter, in order), after they are checked
   * as the original arguments were: types, Bean Validation, then the policy again.
   */
  public static ApprovalDecision approveWithArguments(String approver, Object... arguments) {
    return new ApprovalDecision(true, approver, null,
        Collections.unmodifiableList(Arrays.asList(arguments.clone())));
  }

  public boolean approved() {
    return approved;
  }

  /** Who decided, as written to the audit record. */
  public String approver() {
    return approver;
  }

  /** Why the call was denied; {@code null} when it was approved. */
  public String reason() {
    return reason;
  }

  /** The arguments the approver put in place of the call's own, if any. */
  public Optional<List<Object>> editedArguments() {
    return Optional.ofNullable(editedArguments);
  }

  @Override
  public String toString() {
    return "ApprovalDecision[" + (approved ? editedArguments == null ? "approved" : "approved with edits" : "denied")
        + " by " + approver + (reason == null ? "" : ": " + reason) + "]";
  }
}
