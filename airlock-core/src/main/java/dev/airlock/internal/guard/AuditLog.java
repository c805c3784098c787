package dev.airlock.internal.guard;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.airlock.AirlockContext;
import dev.airlock.internal.egress.EgressReport;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured record per tool call, as a JSON line on the SLF4J logger {@code dev.airlock.audit}, and a count
 * per outcome. Arguments appear only as a keyed hash (HMAC-SHA256 under a per-process random key): never their
 * values, and no guess of them can be checked against the record.
 */
public final class AuditLog {
  private static final Logger AUDIT = LoggerFactory.getLogger("dev.airlock.audit");
  private static final String HMAC = "HmacSHA256";
  /** Escapes what a log viewer takes for a line break or a reordering too: tool names can be an MCP upstream's. */
  private static final JsonFactory JSON = new JsonFactory().setCharacterEscapes(new GuardJson.LineSafeEscapes());
  /** Keys the argument hash: equal arguments hash alike within this process, and a hash cannot test a guess. */
  private static final byte[] ARGUMENT_KEY = OutputMasker.processKey();
  /** The argument text hashed for a record: past it, arguments that differ only further on hash alike. */
  private static final int MAX_HASHED_CHARS = 1024 * 1024;
  /**
   * The argument hash's MAC, keyed once per thread: {@code Mac.getInstance} and {@code init} on every record were
   * about half of the hash's time on a reused worker's call (the provider lookup runs interpreted that rarely).
   * {@code doFinal} resets it for the next record.
   */
  private static final ThreadLocal<Mac> ARGUMENT_MAC = ThreadLocal.withInitial(() -> keyedMac(ARGUMENT_KEY));
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

    /**
     * One line of JSON; every value is escaped by Jackson, so no field can end the line or forge another one. Written
     * by Jackson's generator straight into the line, not through a tree: it runs on the caller's thread after every
     * call.
     */
    public String toJson() {
      StringWriter line = new StringWriter(160 + (egress == null ? 0 : 128));
      try (JsonGenerator json = JSON.createGenerator(line)) {
        json.writeStartObject();
        json.writeStringField("tool", tool);
        json.writeStringField("agent", agent);
        json.writeStringField("session", session);
        json.writeStringField("outcome", outcome);
        json.writeStringField("reason", reason);
        json.writeStringField("backend", backend);
        json.writeNumberField("durationMs", duration.toMillis());
        json.writeStringField("argumentHash", argumentHash);
        if (egress != null && egressUnmeasured != null) {
          json.writeObjectFieldStart("egress");
          json.writeBooleanField("measured", false);
          json.writeStringField("unmeasured", egressUnmeasured);
          json.writeEndObject();
        } else if (egress != null) {
          json.writeObjectFieldStart("egress");
          writeArray(json, "hostsContacted", egress.hostsContacted());
          json.writeNumberField("bytesUp", egress.bytesUp());
          json.writeNumberField("bytesDown", egress.bytesDown());
          writeArray(json, "refused", egress.refused());
          json.writeEndObject();
        }
        json.writeEndObject();
      } catch (IOException e) {
        throw new UncheckedIOException("a StringWriter does not fail", e);
      }
      return line.toString();
    }

    private static void writeArray(JsonGenerator json, String name, Iterable<String> values) throws IOException {
      json.writeArrayFieldStart(name);
      for (String value : values) {
        json.writeString(value);
      }
      json.writeEndArray();
    }
  }

  Entry record(String tool, String outcome, String reason, String backend, Duration duration, ArgumentHash args,
      EgressReport egressReport, String egressUnmeasured) {
    Entry entry = entry(tool, outcome, reason, backend, duration, args, egressReport, egressUnmeasured);
    adder(outcomes, outcome).increment();
    // An unmeasured call adds nothing to the totals: its zeros are not a count of anything.
    if (egressReport != null && egressUnmeasured == null) {
      // The report's counts, not its lists' lengths: the lists stop at 100 and end with a line counting the rest.
      count("hostsContacted", egressReport.hostCount());
      count("bytesUp", egressReport.bytesUp());
      count("bytesDown", egressReport.bytesDown());
      count("refused", egressReport.refusedAttempts());
    }
    AUDIT.info(entry.toJson());
    return entry;
  }

  /**
   * The record a call would get, neither written nor counted: {@code HostWarmUp} builds one so that the first real
   * call does not load the audit's classes and security providers.
   */
  public static Entry unrecorded(String tool, String outcome, String backend, Duration duration, Object[] args) {
    return entry(tool, outcome, null, backend, duration, new ArgumentHash(args), null, null);
  }

  private static Entry entry(String tool, String outcome, String reason, String backend, Duration duration,
      ArgumentHash args, EgressReport egressReport, String egressUnmeasured) {
    AirlockContext context = AirlockContext.current().orElse(null);
    return new Entry(tool, context == null ? null : context.agentId(), context == null ? null : context.sessionId(),
        outcome, reason, backend, duration, args.value(), egressReport, egressUnmeasured);
  }

  private void count(String name, long amount) {
    adder(egress, name).add(amount);
  }

  /** The counter of {@code key}, made on first use; no lambda, which the first call would link (HostWarmUpTest). */
  private static LongAdder adder(Map<String, LongAdder> counters, String key) {
    LongAdder known = counters.get(key);
    if (known != null) {
      return known;
    }
    LongAdder made = new LongAdder();
    LongAdder raced = counters.putIfAbsent(key, made);
    return raced == null ? made : raced;
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
    Mac mac = ARGUMENT_MAC.get();
    return "hmac:" + HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)), 0, 8);
  }

  private static Mac keyedMac(byte[] key) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
