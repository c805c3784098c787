package dev.airlock.internal.trace;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.function.Function;

/** Makes the host's span the remote parent of the worker's current context. Loaded only by WorkerTraceContext. */
final class OtelRemoteParent implements Function<TraceIds, CallTrace.Scope> {
  @Override
  public CallTrace.Scope apply(TraceIds ids) {
    SpanContext host = SpanContext.createFromRemoteParent(ids.traceId(), ids.spanId(),
        ids.sampled() ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault());
    Scope scope = Context.root().with(Span.wrap(host)).makeCurrent();
    return scope::close;
  }
}
