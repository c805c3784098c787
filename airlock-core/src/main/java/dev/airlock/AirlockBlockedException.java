package dev.airlock;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.internal.guard.GuardJson;
import java.util.List;

/**
 * The guard refused a tool call before anything ran: a policy rule, a rate limit, a time window, argument
 * validation, or a person who did not approve it. It carries what a model needs to correct itself; {@link
 * #toModelMessage()} renders it in a stable shape for the tool result:
 *
 * <pre>{@code
 * {"blocked":true,"tool":"runJava","reason":"RATE_LIMITED","rule":"rate-limit 10/minute",
 *  "message":"...","fix":["wait 6 s before calling runJava again"]}
 * }</pre>
 */
public class AirlockBlockedException extends AirlockException {
  private static final long serialVersionUID = 1L;

  /** Why a call was blocked. */
  public enum Reason { DENIED, MISSING_ROLE, RATE_LIMITED, OUTSIDE_TIME_WINDOW, VALIDATION, NOT_APPROVED }

  private final String tool;
  private final Reason reason;
  private final String rule;
  private final List<String> fixHints;

  public AirlockBlockedException(String tool, Reason reason, String rule, String message, List<String> fixHints) {
    super(tool + " blocked (" + reason + ", rule: " + rule + "): " + message);
    this.tool = tool;
    this.reason = reason;
    this.rule = rule;
    this.fixHints = List.copyOf(fixHints);
  }

  public String tool() {
    return tool;
  }

  public Reason reason() {
    return reason;
  }

  /** The rule that fired, as configured ({@code "deny: delete*"}, {@code "rate-limit 10/minute"}). */
  public String rule() {
    return rule;
  }

  public List<String> fixHints() {
    return fixHints;
  }

  /** One line of JSON with the keys blocked, tool, reason, rule, message and fix, in that order, written by Jackson. */
  public String toModelMessage() {
    ObjectNode json = GuardJson.object();
    json.put("blocked", true).put("tool", tool).put("reason", reason.name()).put("rule", rule)
        .put("message", getMessage());
    ArrayNode fix = json.putArray("fix");
    fixHints.forEach(fix::add);
    return GuardJson.write(json);
  }
}
