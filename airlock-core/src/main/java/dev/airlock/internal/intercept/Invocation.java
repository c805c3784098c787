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
 * @param egress the hosts the call may reach beyond the pool's own list, and after it what it reached
 * @param whileRunning the caller's work that needs neither the result nor to precede the call (the audit's argument
 *     hash): a sandboxed call runs it on the caller's thread while the worker runs the call; must not throw
 */
public record Invocation(Object receiver, Method method, Object[] args, Duration timeout, boolean sandboxRequired,
    LocalCall local, CallEgress egress, Runnable whileRunning) {
  private static final Runnable NOTHING = new Runnable() {
    @Override
    public void run() {
    }
  };

  public Invocation {
    args = args == null ? new Object[0] : args;
    egress = egress == null ? CallEgress.none() : egress;
    whileRunning = whileRunning == null ? NOTHING : whileRunning;
  }

  /** A call with nothing of its caller's to run while it runs. */
  public Invocation(Object receiver, Method method, Object[] args, Duration timeout, boolean sandboxRequired,
      LocalCall local, CallEgress egress) {
    this(receiver, method, args, timeout, sandboxRequired, local, egress, NOTHING);
  }

  /** A call that adds no egress to its pool's. */
  public Invocation(Object receiver, Method method, Object[] args, Duration timeout, boolean sandboxRequired,
      LocalCall local) {
    this(receiver, method, args, timeout, sandboxRequired, local, CallEgress.none());
  }

  /** {@code Class.method} for logs, metrics and error messages. */
  public String describe() {
    return method.getDeclaringClass().getSimpleName() + "." + method.getName();
  }
}
