package dev.airlock.internal.pool;

import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.trace.TraceIds;
import dev.airlock.internal.wire.Messages;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The LOG frames of one call on their way into the host's log. The worker's own 1 MiB budget is guest code's to
 * bypass (it can write frames to the channel itself), so the host enforces its own: each line is cut at
 * {@link #MAX_LINE_CHARS} and escaped (one frame is one host log line, whatever it contains); once the lines written
 * to the log reach {@link #FORWARDED_BYTES}, a call's further lines are counted and dropped, and said so once; past
 * {@link #MAX_RECEIVED_BYTES} the worker is flooding and the call ends, so the host does not spend a thread reading
 * frames until the deadline. The budget counts what the log gets, not what the guest sent: a line's escaped text
 * (a control character is six characters there) and {@link Messages#LOG_LINE_COST} for the rest of a log line (time,
 * thread, logger, worker), so neither control characters nor one-character lines make the log outgrow it. Every
 * received frame costs at least {@link #FRAME_COST}, so empty frames are not free. When the call is traced, each
 * relayed line carries the host's trace and span ids of the call in the MDC ({@code trace_id}, {@code span_id}): the
 * host's own ids, never any a worker sent.
 */
final class CallLog {
  static final int MAX_LINE_CHARS = 8 * 1024;
  static final long FORWARDED_BYTES = 1024 * 1024;
  static final long MAX_RECEIVED_BYTES = 8 * FORWARDED_BYTES;
  static final int FRAME_COST = 16;

  private final Logger log;
  private final long pid;
  private long received;
  private long forwarded;
  private long droppedLines;
  private long droppedBytes;

  private final TraceIds trace;

  CallLog(Logger log, long pid) {
    this(log, pid, TraceIds.NONE);
  }

  CallLog(Logger log, long pid, TraceIds trace) {
    this.log = log;
    this.pid = pid;
    this.trace = trace;
  }

  /** Forwards one LOG frame's body, or counts it as dropped; throws when the call's frames pass the flood bound. */
  void accept(byte[] body) {
    received += (long) body.length + FRAME_COST;
    if (received > MAX_RECEIVED_BYTES) {
      throw new SandboxProtocolException("worker sent more than " + MAX_RECEIVED_BYTES + " bytes of LOG frames in "
          + "one call (a worker sends at most " + FORWARDED_BYTES + "): it was stopped as flooding the host");
    }
    if (forwarded >= FORWARDED_BYTES) {
      drop(body);
      return;
    }
    Messages.Log line = Messages.log(body);
    String text = line.text();
    if (text.length() > MAX_LINE_CHARS) {
      text = text.substring(0, MAX_LINE_CHARS) + " [" + (text.length() - MAX_LINE_CHARS) + " more chars]";
    }
    text = GuestText.escape(text);
    long logged = (long) text.length() + Messages.LOG_LINE_COST;
    if (forwarded + logged > FORWARDED_BYTES) {
      // The budget is spent: this line and every later one are dropped, so none is escaped for nothing again.
      forwarded = FORWARDED_BYTES;
      drop(body);
      return;
    }
    forwarded += logged;
    String previousTraceId = trace.present() ? MDC.get(TraceIds.MDC_TRACE_ID) : null;
    String previousSpanId = trace.present() ? MDC.get(TraceIds.MDC_SPAN_ID) : null;
    if (trace.present()) {
      MDC.put(TraceIds.MDC_TRACE_ID, trace.traceId());
      MDC.put(TraceIds.MDC_SPAN_ID, trace.spanId());
    }
    try {
      if (line.stderr()) {
        log.warn("[sandbox {}] {}", pid, text);
      } else {
        log.info("[sandbox {}] {}", pid, text);
      }
    } finally {
      if (trace.present()) {
        restore(TraceIds.MDC_TRACE_ID, previousTraceId);
        restore(TraceIds.MDC_SPAN_ID, previousSpanId);
      }
    }
  }

  private void drop(byte[] body) {
    droppedLines++;
    droppedBytes += body.length;
  }

  private static void restore(String key, String previous) {
    if (previous == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, previous);
    }
  }

  /** Says once, at the end of the call, what was dropped. */
  void finish() {
    if (droppedLines > 0) {
      log.warn("[sandbox {}] {} more lines ({} bytes) were dropped: a call may log {} bytes", pid, droppedLines,
          droppedBytes, FORWARDED_BYTES);
    }
  }

  long droppedLines() {
    return droppedLines;
  }
}
