package dev.airlock.internal.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One call's {@code execute_tool} span and its phases (child spans {@code airlock.policy}, {@code airlock.encode},
 * {@code airlock.queue}, {@code airlock.ship}, {@code airlock.run}, {@code airlock.decode}, {@code airlock.host}).
 * Phase times are the host's {@link System#nanoTime}, placed on the span's clock from its start, so they nest exactly
 * inside it.
 */
final class OtelCallTrace implements CallTrace {
  /** The longest {@code error.type}: a class name, but a span attribute is no place for an unbounded string. */
  static final int MAX_ERROR_TYPE_CHARS = 256;
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("airlock.outcome");

  private final Tracer tracer;
  private final Span span;
  private final Context context;
  private final long startNanos;
  private final long startEpochNanos;
  private final List<Span> openPhases = new ArrayList<>();
  private String poolOutcome;
  private boolean failed;

  OtelCallTrace(Tracer tracer, Span span, long startNanos, long startEpochNanos) {
    this.tracer = tracer;
    this.span = span;
    this.context = Context.current().with(span);
    this.startNanos = startNanos;
    this.startEpochNanos = startEpochNanos;
  }

  @Override
  public void attribute(String key, String value) {
    span.setAttribute(key, value);
  }

  @Override
  public void attribute(String key, boolean value) {
    span.setAttribute(key, value);
  }

  @Override
  public synchronized Phase phase(String name) {
    Span phase = child(name, System.nanoTime());
    openPhases.add(phase);
    return new OpenPhase(phase);
  }

  /** A phase's end; a class, not a lambda, so that a first call links no call site (HostWarmUpTest). */
  private final class OpenPhase implements Phase {
    private final Span phase;

    OpenPhase(Span phase) {
      this.phase = phase;
    }

    @Override
    public void end() {
      synchronized (OtelCallTrace.this) {
        if (openPhases.remove(phase)) {
          phase.end(epoch(System.nanoTime()), TimeUnit.NANOSECONDS);
        }
      }
    }
  }

  private Span child(String name, long fromNanos) {
    return tracer.spanBuilder(name).setParent(context).setStartTimestamp(epoch(fromNanos), TimeUnit.NANOSECONDS)
        .startSpan();
  }

  private long epoch(long nanos) {
    return startEpochNanos + Math.max(0, nanos - startNanos);
  }

  @Override
  public void poolOutcome(String outcome) {
    poolOutcome = outcome;
  }

  @Override
  public void failed(Throwable failure) {
    failed = true;
    String type = failure.getClass().getName();
    if (type.length() > MAX_ERROR_TYPE_CHARS) {
      type = type.substring(0, MAX_ERROR_TYPE_CHARS);
    }
    span.setAttribute("error.type", type);
    span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
  }

  @Override
  public String traceparent() {
    SpanContext ids = span.getSpanContext();
    if (!ids.isValid()) {
      return "";
    }
    return "00-" + ids.getTraceId() + "-" + ids.getSpanId() + "-" + ids.getTraceFlags().asHex();
  }

  @Override
  public Scope bind() {
    io.opentelemetry.context.Scope otel = context.makeCurrent();
    return new Bound(CallTracing.bindCurrent(this), otel);
  }

  /** Both bindings of a call, closed in reverse order. */
  private static final class Bound implements Scope {
    private final Scope ours;
    private final io.opentelemetry.context.Scope otel;

    Bound(Scope ours, io.opentelemetry.context.Scope otel) {
      this.ours = ours;
      this.otel = otel;
    }

    @Override
    public void close() {
      ours.close();
      otel.close();
    }
  }

  @Override
  public synchronized void end(String outcome) {
    long now = epoch(System.nanoTime());
    for (Span phase : openPhases) {
      if (failed) {
        phase.setStatus(StatusCode.ERROR);
      }
      phase.end(now, TimeUnit.NANOSECONDS);
    }
    openPhases.clear();
    boolean guardFailedCompletedCall = "success".equals(poolOutcome) && !"success".equals(outcome);
    span.setAttribute(OUTCOME, poolOutcome == null || guardFailedCompletedCall ? outcome : poolOutcome);
    span.end(now, TimeUnit.NANOSECONDS);
  }
}
