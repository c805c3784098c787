package dev.airlock;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.internal.guard.GuardJson;

/**
 * The call needs a person's approval and was suspended: nothing ran, the call holds no thread and no worker, and
 * {@link AirlockApprovals#resume} runs it (once) when someone decides. Return {@link #toModelMessage()} as the tool
 * result so the model knows the call is awaiting approval rather than failed:
 *
 * <pre>{@code
 * {"approvalRequired":true,"tool":"sendMail","callId":"q3Vx...","status":"awaiting approval","message":"..."}
 * }</pre>
 */
public class AirlockApprovalRequiredException extends AirlockException {
  private static final long serialVersionUID = 1L;

  private final String tool;
  private final String callId;

  public AirlockApprovalRequiredException(String tool, String callId) {
    super(tool + " is awaiting approval: a person must approve this call (id " + callId
        + ") before it runs; do not call it again, its result will be delivered once it is decided");
    this.tool = tool;
    this.callId = callId;
  }

  public String tool() {
    return tool;
  }

  /** The id to resume the call with. */
  public String callId() {
    return callId;
  }

  /** One line of JSON with the keys approvalRequired, tool, callId, status and message, in that order. */
  public String toModelMessage() {
    ObjectNode json = GuardJson.object();
    json.put("approvalRequired", true).put("tool", tool).put("callId", callId).put("status", "awaiting approval")
        .put("message", getMessage());
    return GuardJson.write(json);
  }
}
