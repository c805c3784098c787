package dev.airlock.internal.trace;

import java.util.function.Function;

/**
 * The worker's side of a traced call: when the worker has the OpenTelemetry API, the host's span is the current
 * context's remote parent for the duration of the call, so a span the tool opens is a child of the host's
 * {@code execute_tool} span (recorded only if the worker has an SDK of its own; with the bare API it is
 * non-recording but carries the ids on). The lines the tool prints get the ids on the host, which relays them.
 */
public final class WorkerTraceContext {
  private static final Function<TraceIds, CallTrace.Scope> REMOTE_PARENT = remoteParent();

  private WorkerTraceContext() {
  }

  /** Enters the call's trace; the host's traceparent is parsed strictly and ignored when it is not one. */
  public static CallTrace.Scope enter(String traceparent) {
    TraceIds ids = TraceIds.of(traceparent);
    if (!ids.present()) {
      return CallTrace.Scope.NONE;
    }
    return REMOTE_PARENT.apply(ids);
  }

  @SuppressWarnings("unchecked")
  private static Function<TraceIds, CallTrace.Scope> remoteParent() {
    ClassLoader loader = WorkerTraceContext.class.getClassLoader();
    if (OtelPresence.onPath(loader)) {
      try {
        return (Function<TraceIds, CallTrace.Scope>) Class.forName(
            WorkerTraceContext.class.getPackageName() + ".OtelRemoteParent", true, loader)
            .getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException | LinkageError e) {
        // An API the worker cannot link: its spans simply start new traces.
      }
    }
    return ids -> CallTrace.Scope.NONE;
  }
}
