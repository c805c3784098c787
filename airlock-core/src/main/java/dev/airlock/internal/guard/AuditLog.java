package dev.airlock.internal.guard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.AirlockContext;
import dev.airlock.internal.egress.EgressReport;
import java.time.Duration;
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
  /** The argument text hashed for a record: past it, arguments that differ only further on hash alike. */
  private static final int MAX_HASHED_CHARS = 1024 * 1024;
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> egress = new ConcurrentHashMap<>();

  /**
   * A finished call, as audited.
   *
   * @param egress what the call's egress proxy saw (hosts contacted, bytes, refused attempts), or {@code null} when
   *     the call had no worker egress
   * @param egressUnmeasured when the call's egress was enforced where Airlock cannot see it (E2B's firewall), what
   *     is not measured and why: the record then says so instead of writing {@code egress}'s zeros; else null
   */
  public record Entry(String tool, String agent, String session, String outcome, String reason, String backend,
      Duration duration, String argumentHash, EgressReport egress, String egressUnmeasured) {

    /** A call without worker egress. */
    public Entry(String tool, String agent, String session, String outcome, String reason, String backend,
        Duration duration, String argumentHash) {
      this(tool, agent, session, outcome, reason, backend, duration, argumentHash, null, null);
    }

    /** A call whose egress the proxy measured. */
    public Entry(String tool, String agent, String session, String outcome, String reason, String backend,
        Duration duration, String argumentHash, EgressReport egress) {
      this(tool, agent, session, outcome, reason, backend, duration, argumentHash, egress, null);
    }

    /** One line of JSON; every value is escaped by Jackson, so no field can end the line or forge another one. */
    public String toJson() {
      ObjectNode json = GuardJson.object();
      json.put("tool", tool).put("agent", agent).put("session", session).put("outcome", outcome)
          .put("reason", reason).put("backend", backend).put("durationMs", duration.toMillis())
          .put("argumentHash", argumentHash);
      if (egress != null && egressUnmeasured != null) {
        json.putObject("egress").put("measured", false).put("unmeasured", egressUnmeasured);
      } else if (egress != null) {
        ObjectNode e = json.putObject("egress");
        egress.hostsContacted().forEach(e.putArray("hostsContacted")::add);
        e.put("bytesUp", egress.bytesUp()).put("bytesDown", egress.bytesDown());
        egress.refused().forEach(e.putArray("refused")::add);
      }
      return GuardJson.write(json);
    }
  }

  Entry record(String tool, String outcome, String reason, String backend, Duration duration, Object[] args,
      EgressReport egressReport, String egressUnmeasured) {
    AirlockContext context = AirlockContext.current().orElse(null);
    Entry entry = new Entry(tool, context == null ? null : context.agentId(),
        context == null ? null : context.sessionId(), outcome, reason, backend, duration, hash(args), egressReport,
        egressUnmeasured);
    outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    // An unmeasured call adds nothing to the totals: its zeros are not a count of anything.
    if (egressReport != null && egressUnmeasured == null) {
      count("hostsContacted", egressReport.hostsContacted().size());
      count("bytesUp", egressReport.bytesUp());
      count("bytesDown", egressReport.bytesDown());
      count("refused", egressReport.refused().size());
    }
    AUDIT.info(entry.toJson());
    return entry;
  }

  private void count(String name, long amount) {
    egress.computeIfAbsent(name, k -> new LongAdder()).add(amount);
  }

  /**
   * Egress totals since start, for metrics: {@code hostsContacted}, {@code bytesUp}, {@code bytesDown} and
   * {@code refused} (connections the proxy refused); empty before the first call with worker egress.
   */
  public Map<String, Long> egressCounts() {
    Map<String, Long> out = new TreeMap<>();
    egress.forEach((k, v) -> out.put(k, v.sum()));
    return out;
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
      // Bounded: deepToString of a 1 MB BitSet argument allocated 1.3 GB for every call's audit record.
      text = BoundedText.of(args, MAX_HASHED_CHARS);
    } catch (RuntimeException e) {
      text = "unprintable:" + args.length;
    }
    return "hmac:" + OutputMasker.hmac(ARGUMENT_KEY, text);
  }
}
