package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.internal.intercept.Invocation;
import dev.airlock.internal.intercept.PoolAccess;
import dev.airlock.security.hostile.ChildJvmBackend;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A pool of one reused worker on a {@link ChildJvmBackend}, for tests that call real methods through it. */
final class HostilePool implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(3);

  final ChildJvmBackend backend = new ChildJvmBackend();
  final SandboxPool pool;

  HostilePool(AirlockConfig.Builder config) {
    // Not required: the child-jvm backend is a plain child process, whose posture does not isolate, and a required
    // call is refused there. A call that is not required may run in it, and is still never run on the host.
    pool = SandboxPool.builder(config.sandboxRequired(false).maxResultBytes(1024 * 1024)
        .timeoutSeconds((int) TIMEOUT.toSeconds()).build()).minSize(0).maxSize(1).reuse(true).memoryMb(64)
        .backend("child-jvm", () -> backend).build();
  }

  HostilePool() {
    this(AirlockConfig.builder());
  }

  /** Calls {@code receiver.name(args)} the way the interceptors do. */
  Object invoke(Object receiver, String name, Object... args) throws Throwable {
    Method method = null;
    for (Method m : receiver.getClass().getMethods()) {
      if (m.getName().equals(name) && !m.isBridge()) {
        method = m;
      }
    }
    Method found = method;
    return PoolAccess.invoke(pool, new Invocation(receiver, found, args, TIMEOUT, false, () -> {
      throw new AssertionError("ran on the host");
    }));
  }

  @Override
  public void close() throws InterruptedException {
    pool.close();
    for (Process p : backend.processes()) {
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("worker %d exited", p.pid()).isTrue();
    }
    assertThat(Canaries.touchedOnHost()).as("gadget canaries loaded or run on the host").isEqualTo(List.of());
  }
}
