package dev.airlock;

import java.io.Serializable;

/**
 * A piece of work to run in a sandbox through {@link SandboxPool#call(SandboxCall)}. It is serialized with what it
 * captures, so capture data, not connections:
 *
 * <pre>{@code
 * int answer = pool.call(() -> 6 * 7);
 * }</pre>
 */
@FunctionalInterface
public interface SandboxCall<T> extends Serializable {
  T call() throws Exception;
}
