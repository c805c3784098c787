package dev.airlock;

import java.util.List;

/**
 * The guard refused a tool call before anything ran: a policy rule, a rate limit, a time window or argument
 * validation. It carries what a model needs to correct itself; {@link #toModelMessage()} renders it in a stable
 * shape for the tool result:
 *
 * <pre>{@code
 * {"blocked":true,"tool":"runJava","reason":"RATE_LIMITED","rule":"rate-limit 10/minute",
 *  "message":"...","fix":["wait 6 s before calling runJava again"]}
 * }</pre>
 */
public class AirlockBlockedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a call was blocked. */
  public enum Reason { DENIED, MISSING_ROLE, RATE_LIMITED, OUTSIDE_TIME_WINDOW, VALIDATION }

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

  /** One line of JSON with the keys blocked, tool, reason, rule, message and fix, in that order. */
  public String toModelMessage() {
    StringBuilder json = new StringBuilder("{\"blocked\":true,\"tool\":").append(quote(tool))
        .append(",\"reason\":").append(quote(reason.name()))
        .append(",\"rule\":").append(quote(rule))
        .append(",\"message\":").append(quote(getMessage()))
        .append(",\"fix\":[");
    for (int i = 0; i < fixHints.size(); i++) {
      json.append(i == 0 ? "" : ",").append(quote(fixHints.get(i)));
    }
    return json.append("]}").toString();
  }

  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
