package dev.airlock.internal.trace;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@code execute_tool} spans as the OpenTelemetry GenAI semantic conventions describe them
 * (docs/gen-ai/gen-ai-spans.md, "Execute tool span"): name {@code execute_tool <gen_ai.tool.name>}, kind INTERNAL,
 * {@code gen_ai.operation.name=execute_tool}, {@code gen_ai.tool.name}, {@code gen_ai.tool.type=function}. Loaded
 * only by {@link CallTracing}, after it found the API.
 */
final class OtelCallTracer implements CallTracing.Tracer {
  static final String SCOPE = "dev.airlock";

  @Override
  public CallTrace start(String toolName, String className) {
    Tracer tracer = GlobalOpenTelemetry.getOrNoop().getTracer(SCOPE);
    long startNanos = System.nanoTime();
    long startEpochNanos = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
    Span span = tracer.spanBuilder("execute_tool " + toolName)
        .setSpanKind(SpanKind.INTERNAL)
        .setParent(Context.current())
        .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
        .setAttribute("gen_ai.operation.name", "execute_tool")
        .setAttribute("gen_ai.tool.name", toolName)
        .setAttribute("gen_ai.tool.type", "function")
        .setAttribute("code.function.name", className + "." + toolName)
        .startSpan();
    return new OtelCallTrace(tracer, span, startNanos, startEpochNanos);
  }

  /**
   * A span built but never started, and a context bound and unbound: nothing reaches an exporter, and the global
   * is read with {@code getOrNoop}, which does not pin it to no-op for an SDK registered later.
   */
  @Override
  public void warmUp() {
    Tracer tracer = GlobalOpenTelemetry.getOrNoop().getTracer(SCOPE);
    tracer.spanBuilder("execute_tool warm-up").setSpanKind(SpanKind.INTERNAL).setParent(Context.current())
        .setStartTimestamp(0, TimeUnit.NANOSECONDS).setAttribute("gen_ai.tool.name", "warm-up");
    try (io.opentelemetry.context.Scope bound = Context.current().with(Span.getInvalid()).makeCurrent()) {
      Span.current().getSpanContext().isValid();
    }
  }
}
