package dev.airlock.internal.trace;

import dev.airlock.internal.wire.Messages;
import java.util.regex.Pattern;

/**
 * The ids of a W3C {@code traceparent} ({@code 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>}), parsed
 * strictly: anything else, longer or shorter, is {@link #NONE}. The worker reads the host's; the host puts its own
 * into the MDC of the lines it relays from a worker, never ids a worker sent.
 */
public record TraceIds(String traceId, String spanId, boolean sampled) {
  /** No trace. */
  public static final TraceIds NONE = new TraceIds("", "", false);
  /** The MDC keys of the ids, as OpenTelemetry's own logging instrumentation names them. */
  public static final String MDC_TRACE_ID = "trace_id";
  public static final String MDC_SPAN_ID = "span_id";

  private static final Pattern TRACEPARENT =
      Pattern.compile("00-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-([0-9a-f]{2})");

  /** The ids of {@code traceparent}, or {@link #NONE} when it is empty or not a valid version-00 traceparent. */
  public static TraceIds of(String traceparent) {
    if (traceparent == null || traceparent.length() != Messages.MAX_TRACEPARENT_CHARS) {
      return NONE;
    }
    var match = TRACEPARENT.matcher(traceparent);
    if (!match.matches()) {
      return NONE;
    }
    return new TraceIds(match.group(1), match.group(2), (Integer.parseInt(match.group(3), 16) & 1) == 1);
  }

  public boolean present() {
    return !traceId.isEmpty();
  }
}
