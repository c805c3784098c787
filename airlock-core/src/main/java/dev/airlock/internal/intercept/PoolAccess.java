package dev.airlock.internal.intercept;

import dev.airlock.SandboxPool;

/**
 * The interceptors' way into {@link SandboxPool}'s call path, which is not public API (OkHttp's {@code Internal}
 * pattern): {@code SandboxPool}'s static initializer installs the one implementation, so it is in place before any
 * pool exists to be called.
 */
public abstract class PoolAccess {
  private static PoolAccess instance;

  protected PoolAccess() {
  }

  /** Called once, by {@code SandboxPool}; a second installation is refused rather than silently rerouting calls. */
  public static synchronized void install(PoolAccess access) {
    if (instance != null) {
      throw new IllegalStateException("PoolAccess is installed once, by SandboxPool");
    }
    instance = access;
  }

  /** Ships {@code invocation} through {@code pool}: returns its result or throws what it threw. */
  public static Object invoke(SandboxPool pool, Invocation invocation) throws Throwable {
    return installed().run(pool, invocation);
  }

  private static synchronized PoolAccess installed() {
    return instance;
  }

  protected abstract Object run(SandboxPool pool, Invocation invocation) throws Throwable;
}
