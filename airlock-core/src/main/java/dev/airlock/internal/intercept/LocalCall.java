package dev.airlock.internal.intercept;

/** Runs the intercepted method's own body on the host: the adapter's "proceed". */
@FunctionalInterface
public interface LocalCall {
  Object proceed() throws Throwable;
}
