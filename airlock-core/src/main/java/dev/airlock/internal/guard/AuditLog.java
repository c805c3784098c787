package dev.airlock.internal.guard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.AirlockContext;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured record per tool call, as a JSON line on the SLF4J logger {@code dev.airlock.audit}, and a count
 * per outcome. Arguments appear only as a keyed hash (HMAC-SHA256 under a per-process random key): never their
 * values, and no guess of them can be checked against the record.
 */
public final class AuditLog {
  private static final Logger AUDIT = LoggerFactory.getLogger("dev.airlock.audit");
  /** Keys the argument hash: equal arguments hash alike within this process, and a hash cannot test a guess. */
  private static final byte[] ARGUMENT_KEY = OutputMasker.processKey();
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();

  /** A finished call, as audited. */
  public record Entry(String tool, String agent, String session, String outcome, String reason, String backend,
      Duration duration, String argumentHash) {

    /** One line of JSON; every value is escaped by Jackson, so no field can end the line or forge another one. */
    public String toJson() {
      ObjectNode json = GuardJson.object();
      json.put("tool", tool).put("agent", agent).put("session", session).put("outcome", outcome)
          .put("reason", reason).put("backend", backend).put("durationMs", duration.toMillis())
          .put("argumentHash", argumentHash);
      return GuardJson.write(json);
    }
  }

  Entry record(String tool, String outcome, String reason, String backend, Duration duration, Object[] args) {
    AirlockContext context = AirlockContext.current().orElse(null);
    Entry entry = new Entry(tool, context == null ? null : context.agentId(),
        context == null ? null : context.sessionId(), outcome, reason, backend, duration, hash(args));
    outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    AUDIT.info(entry.toJson());
    return entry;
  }

  /** Calls per outcome ({@code success}, {@code blocked}, {@code error}) since start. */
  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    outcomes.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** The keyed hash of {@code args} written in audit records. */
  static String hash(Object[] args) {
    String text;
    try {
      text = Arrays.deepToString(args);
    } catch (RuntimeException e) {
      text = "unprintable:" + args.length;
    }
    return "hmac:" + OutputMasker.hmac(ARGUMENT_KEY, text);
  }
}
