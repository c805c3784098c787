package dev.airlock.internal.intercept;

import java.lang.reflect.Method;
import java.time.Duration;

/**
 * One call as the pool runs it.
 *
 * @param receiver the object the method is called on, or {@code null} for a static method
 * @param method the method
 * @param args its arguments
 * @param timeout the call's wall-clock limit
 * @param sandboxRequired whether running on the host is forbidden when no sandbox can be had
 * @param local the method's own body on the host, for fallback
 */
public record Invocation(Object receiver, Method method, Object[] args, Duration timeout, boolean sandboxRequired,
    LocalCall local) {

  public Invocation {
    args = args == null ? new Object[0] : args;
  }

  /** {@code Class.method} for logs, metrics and error messages. */
  public String describe() {
    return method.getDeclaringClass().getSimpleName() + "." + method.getName();
  }
}
