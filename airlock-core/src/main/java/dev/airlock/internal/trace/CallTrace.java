package dev.airlock.internal.trace;

/**
 * The trace of one intercepted call: an {@code execute_tool} span when the application has the OpenTelemetry API
 * (see {@link CallTracing}), nothing otherwise. Its methods take and return only JDK types, so code that holds one
 * never links against OpenTelemetry.
 *
 * <p>Everything recorded here is chosen by the host: names, attributes and ids. Guest text (exception messages,
 * printed lines) is never put on a span, and nothing a worker sends chooses a host span's id.
 */
public interface CallTrace {

  /** Records nothing; {@link #traceparent()} is empty. */
  CallTrace NONE = new CallTrace() {
  };

  /** Sets a string attribute of the call's span. */
  default void attribute(String key, String value) {
  }

  /** Sets a boolean attribute of the call's span. */
  default void attribute(String key, boolean value) {
  }

  /** Opens a child span {@code name} now; it ends at {@link Phase#end()}, at the latest when the call's span ends. */
  default Phase phase(String name) {
    return Phase.NONE;
  }

  /**
   * The outcome the pool saw (its {@code ExecutionListener.Outcome}, in lower case), which names a failure more
   * precisely than the interceptor can; {@link #end} prefers it unless the guard failed a call the pool completed.
   */
  default void poolOutcome(String outcome) {
  }

  /** The call threw {@code failure}: the span gets {@code error.type} (its class name) and an error status. */
  default void failed(Throwable failure) {
  }

  /**
   * The W3C {@code traceparent} of the call's span ({@code 00-<trace id>-<span id>-<flags>}), or the empty string
   * when there is no span to continue. Sent with the invocation, so the worker's spans and log lines belong to it.
   */
  default String traceparent() {
    return "";
  }

  /**
   * Makes this the thread's current call (for {@link CallTracing#current()}) and its span the current OpenTelemetry
   * context (so a body that runs on the host opens its spans under it), until the scope is closed.
   */
  default Scope bind() {
    return Scope.NONE;
  }

  /** Ends the call's span with {@code airlock.outcome} (see {@link #poolOutcome}) and any phase still open. */
  default void end(String outcome) {
  }

  /** A child span in progress. */
  interface Phase {
    Phase NONE = () -> {
    };

    void end();
  }

  /** Undoes a {@link #bind()}. */
  interface Scope extends AutoCloseable {
    Scope NONE = () -> {
    };

    @Override
    void close();
  }
}
