package dev.airlock.internal.intercept;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.HostCallTimeoutException;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.annotation.Airlock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class AirlockInterceptorTest {

  static final class Tools {
    @Airlock(timeoutSeconds = 1)
    String guardedOnHost() {
      return "host";
    }

    @Airlock(timeoutSeconds = 1)
    String alsoOnHost() {
      return "host";
    }

    String plain() {
      return "plain";
    }
  }

  private final AtomicInteger poolRequests = new AtomicInteger();
  private final AirlockInterceptor interceptor = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
    @Override
    public AirlockConfig config() {
      return AirlockConfig.defaults();
    }

    @Override
    public SandboxPool pool(String backend, int memoryMb) {
      poolRequests.incrementAndGet();
      throw new AssertionError("no pool for these calls");
    }
  });

  /** Issue 20 item 1: an adapter matched the call, so a method no annotation governs is refused, not run. */
  @Test
  void refusesAMatchedCallThatNoAnnotationGoverns() throws Exception {
    AtomicInteger ran = new AtomicInteger();
    assertThatThrownBy(() -> interceptor.intercept(new Tools(), Tools.class.getDeclaredMethod("plain"),
        new Object[0], ran::incrementAndGet))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no @Airlock governs it").hasMessageContaining("refusing to run it unguarded");
    assertThat(ran).hasValue(0);
    assertThat(poolRequests).hasValue(0);
  }

  @Test
  void runsOnTheHostUnderTheTimeoutWhenNotSandboxed() throws Throwable {
    var method = Tools.class.getDeclaredMethod("guardedOnHost");
    assertThat(interceptor.intercept(new Tools(), method, new Object[0], () -> "host")).isEqualTo("host");
    long start = System.nanoTime();
    assertThatThrownBy(() -> interceptor.intercept(new Tools(), method, new Object[0], () -> {
      Thread.sleep(10_000);
      return "late";
    })).isExactlyInstanceOf(HostCallTimeoutException.class).isNotInstanceOf(SandboxTimeoutException.class)
        .hasMessageContaining("ran on the host");
    assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
    assertThat(poolRequests).hasValue(0);
  }

  @Test
  void hostCallsStillRunningPastTheirTimeoutAreBounded() throws Throwable {
    // A host body that ignores the interrupt kept its thread after its timeout, and nothing bounded how many: a model
    // that kept calling a hanging host tool added a thread with each call.
    AirlockInterceptor bounded = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return AirlockConfig.builder().maxOverdueHostCalls(2).build();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        throw new AssertionError("no pool for these calls");
      }
    });
    var method = Tools.class.getDeclaredMethod("guardedOnHost");
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    AtomicInteger running = new AtomicInteger();
    long threadsBefore = hostCallThreads();
    try {
      for (int i = 0; i < 5; i++) {
        assertThatThrownBy(() -> bounded.intercept(new Tools(), method, new Object[0], () -> {
          started.incrementAndGet();
          running.incrementAndGet();
          try {
            while (true) {
              try {
                release.await();
                return "late";
              } catch (InterruptedException ignored) {
                // A hanging tool that does not stop when interrupted.
              }
            }
          } finally {
            running.decrementAndGet();
          }
        })).isExactlyInstanceOf(HostCallTimeoutException.class);
      }
      assertThat(started).as("calls past the bound are refused without running").hasValue(2);
      assertThat(running).hasValue(2);
      assertThat(hostCallThreads() - threadsBefore).as("host threads added").isLessThanOrEqualTo(2);
      assertThatThrownBy(() -> bounded.intercept(new Tools(), method, new Object[0], () -> "refused"))
          .isExactlyInstanceOf(HostCallTimeoutException.class)
          .hasMessageContaining("2 host calls are still running past their timeout")
          .hasMessageContaining("airlock.max-overdue-host-calls=2").hasMessageContaining("sandbox = true");
    } finally {
      release.countDown();
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (running.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(50);
    assertThat(bounded.intercept(new Tools(), method, new Object[0], () -> "host")).as("once they end")
        .isEqualTo("host");
  }

  private static long hostCallThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("airlock-host-call-")).count();
  }

  @Test
  void aSecondAdapterOnTheSameCallProceedsInsteadOfInterceptingAgain() throws Throwable {
    var method = Tools.class.getDeclaredMethod("guardedOnHost");
    AtomicInteger bodies = new AtomicInteger();
    Tools tools = new Tools();
    Object result = interceptor.intercept(tools, method, new Object[0], () ->
        // What a woven method does when an outer proxy proceeds into it: call the interceptor again, on its target.
        interceptor.intercept(tools, method, new Object[0], () -> {
          bodies.incrementAndGet();
          return "host";
        }));
    assertThat(result).isEqualTo("host");
    assertThat(bodies).hasValue(1);
    assertThat(interceptor.auditLog().counts()).containsEntry("success", 1L);
  }

  /** A host tool whose method another class inherits as a tool whose sandbox is required. */
  public interface HostRun {
    @Airlock(timeoutSeconds = 5)
    String run();
  }

  public interface RequiredRun {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 5)
    String run();
  }

  public static class Delegator implements HostRun {
    @Override
    public String run() {
      return "host";
    }
  }

  /** Inherits {@code Delegator.run}, the same method, governed here by {@link RequiredRun}. */
  public static class Sandboxed extends Delegator implements RequiredRun {
  }

  /**
   * While a host tool's body runs, it calls the same method on another receiver, for which that method requires a
   * sandbox (a delegating tool, or a fallback's body reaching such a tool). The inner call is that receiver's own
   * call, not a second adapter on the running one: it needs its sandbox, and without one it is refused. (Before:
   * the thread's mark named only the method, so the inner call proceeded on the host, unguarded.)
   */
  @Test
  void theRunningHostToolsMarkDoesNotCoverTheSameMethodOnAnotherReceiver() throws Throwable {
    AirlockInterceptor noSandbox = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return AirlockConfig.defaults();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        throw new SandboxUnavailableException("no sandbox in this test");
      }
    });
    var method = Delegator.class.getDeclaredMethod("run");
    AtomicInteger requiredBodies = new AtomicInteger();
    assertThatThrownBy(() -> noSandbox.intercept(new Delegator(), method, new Object[0], () ->
        noSandbox.intercept(new Sandboxed(), method, new Object[0], () -> {
          requiredBodies.incrementAndGet();
          return "host";
        }))).isInstanceOf(SandboxUnavailableException.class);
    assertThat(requiredBodies).as("runs of the required call's body on the host").hasValue(0);
  }

  /**
   * Attack review 23: a host tool holding its receiver's monitor (a synchronized tool, or a {@code synchronized
   * (this)} block) calls another tool of the same object that takes it too. Handed to another thread, the inner body
   * waited for the monitor its own caller held: the inner call failed at its timeout, and its body then ran on the
   * host after its caller had been told it did not finish. It now runs on the calling thread, as plain Java would.
   */
  @Test
  void aHostToolCalledUnderItsReceiversMonitorRunsOnTheThreadHoldingIt() throws Throwable {
    var outer = Tools.class.getDeclaredMethod("guardedOnHost");
    var inner = Tools.class.getDeclaredMethod("alsoOnHost");
    Tools tools = new Tools();
    AtomicInteger lateBodies = new AtomicInteger();
    Object result = interceptor.intercept(tools, outer, new Object[0], () -> {
      synchronized (tools) {
        Thread holder = Thread.currentThread();
        return interceptor.intercept(tools, inner, new Object[0], () -> {
          synchronized (tools) {
            if (Thread.currentThread() != holder) {
              lateBodies.incrementAndGet();
            }
            return "inner on " + (Thread.currentThread() == holder ? "the holder" : "another thread");
          }
        });
      }
    });

    assertThat(result).isEqualTo("inner on the holder");
    Thread.sleep(200);
    assertThat(lateBodies).hasValue(0);
  }

  @Test
  void hostExceptionsPassThroughUnchanged() throws Exception {
    var method = Tools.class.getDeclaredMethod("guardedOnHost");
    assertThatThrownBy(() -> interceptor.intercept(new Tools(), method, new Object[0], () -> {
      throw new java.io.IOException("disk");
    })).isInstanceOf(java.io.IOException.class).hasMessage("disk");
  }
}
