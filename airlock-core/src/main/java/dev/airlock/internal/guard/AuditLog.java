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
import java.util.Arrays;
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
  private static final JsonFactory JSON = new JsonFactory();
  /** Keys the argument hash: equal arguments hash alike within this process, and a hash cannot test a guess. */
  private static final byte[] ARGUMENT_KEY = OutputMasker.processKey();
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
   */
  public record Entry(String tool, String agent, String session, String outcome, String reason, String backend,
      Duration duration, String argumentHash, EgressReport egress) {

    /** A call without worker egress. */
    public Entry(String tool, String agent, String session, String outcome, String reason, String backend,
        Duration duration, String argumentHash) {
      this(tool, agent, session, outcome, reason, backend, duration, argumentHash, null);
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
        if (egress != null) {
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

  Entry record(String tool, String outcome, String reason, String backend, Duration duration, Object[] args,
      EgressReport egressReport) {
    Entry entry = entry(tool, outcome, reason, backend, duration, args, egressReport);
    outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    if (egressReport != null) {
      count("hostsContacted", egressReport.hostsContacted().size());
      count("bytesUp", egressReport.bytesUp());
      count("bytesDown", egressReport.bytesDown());
      count("refused", egressReport.refused().size());
    }
    AUDIT.info(entry.toJson());
    return entry;
  }

  /**
   * The record a call would get, neither written nor counted: {@code HostWarmUp} builds one so that the first real
   * call does not load the audit's classes and security providers.
   */
  public static Entry unrecorded(String tool, String outcome, String backend, Duration duration, Object[] args) {
    return entry(tool, outcome, null, backend, duration, args, null);
  }

  private static Entry entry(String tool, String outcome, String reason, String backend, Duration duration,
      Object[] args, EgressReport egressReport) {
    AirlockContext context = AirlockContext.current().orElse(null);
    return new Entry(tool, context == null ? null : context.agentId(), context == null ? null : context.sessionId(),
        outcome, reason, backend, duration, hash(args), egressReport);
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
      text = Arrays.deepToString(args);
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
