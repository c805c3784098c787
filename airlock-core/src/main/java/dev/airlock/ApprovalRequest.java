package dev.airlock;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A tool call waiting for a person's decision, as an {@link ApprovalHandler} or an operator's list of pending calls
 * sees it.
 *
 * @param callId the call's id: 128 random bits, unguessable, the same in the handler's request, the
 *     {@link AirlockApprovalRequiredException} and the audit records, and good for one decision only
 * @param tool the tool's name ({@code method})
 * @param arguments each parameter's name and its value as text, masked by the tool's policy unless the handler is
 *     {@link ApprovalHandler#trusted() trusted}, and cut at {@value #MAX_ARGUMENT_CHARS} characters
 * @param context who called, as bound when the call was made; {@code null} when none was
 * @param requestedAt when the call asked for approval
 * @param expiresAt after this a decision is refused and the call never runs
 */
public record ApprovalRequest(String callId, String tool, Map<String, String> arguments, AirlockContext context,
    Instant requestedAt, Instant expiresAt) {

  /** How much of one argument's text a request holds, so a pending call's size does not follow the model's. */
  public static final int MAX_ARGUMENT_CHARS = 2_000;

  public ApprovalRequest {
    Objects.requireNonNull(callId, "callId");
    Objects.requireNonNull(tool, "tool");
    arguments = Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    Objects.requireNonNull(requestedAt, "requestedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
