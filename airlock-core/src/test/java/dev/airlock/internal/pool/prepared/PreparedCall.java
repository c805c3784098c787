package dev.airlock.internal.pool.prepared;

import dev.airlock.SandboxCall;

/**
 * The only class of its package: a worker that has this package defined has loaded this class. Its static
 * initializer leaves a mark, so a test can tell loading from initializing.
 */
public record PreparedCall(int number) implements SandboxCall<Integer> {
  public static final String INITIALIZED = "airlock.test.prepared-call-initialized";

  static {
    System.setProperty(INITIALIZED, "true");
  }

  @Override
  public Integer call() {
    return number + 1;
  }
}
