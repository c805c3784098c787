package dev.airlock.internal.guard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.AirlockContext;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One audit record per approval step, on the same logger as the call records ({@code dev.airlock.audit}), and a
 * count per outcome: {@code suspended}, {@code approved}, {@code edited} (approved with other arguments),
 * {@code denied}, {@code timeout} (no answer in time), {@code expired}, {@code full} (no room to keep the call),
 * {@code refused} (a decision for a call id that is not pending: unknown, already decided or forged).
 */
public final class ApprovalAudit {
  private static final Logger AUDIT = LoggerFactory.getLogger("dev.airlock.audit");
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();

  /**
   * Writes {@code {"event":"approval","tool":..,"callId":..,"agent":..,"session":..,"outcome":..,"approver":..,
   * "reason":..,"at":..,"argumentHash":..,"editedArgumentHash":..}}; the hashes are the call records' keyed hash,
   * so a record shows whether and which arguments changed without showing them.
   */
  public String record(String tool, String callId, AirlockContext context, String outcome, String approver,
      String reason, Instant at, Object[] arguments, Object[] edited) {
    outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    ObjectNode json = GuardJson.object();
    json.put("event", "approval").put("tool", tool).put("callId", callId)
        .put("agent", context == null ? null : context.agentId())
        .put("session", context == null ? null : context.sessionId()).put("outcome", outcome)
        .put("approver", approver).put("reason", reason).put("at", at.toString())
        .put("argumentHash", arguments == null ? null : AuditLog.hash(arguments))
        .put("editedArgumentHash", edited == null ? null : AuditLog.hash(edited));
    String line = GuardJson.write(json);
    AUDIT.info(line);
    return line;
  }

  /** Approval steps per outcome since start. */
  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    outcomes.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
