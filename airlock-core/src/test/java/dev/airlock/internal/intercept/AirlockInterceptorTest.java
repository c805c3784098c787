package dev.airlock.internal.intercept;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.HostCallTimeoutException;
import dev.airlock.SandboxTimeoutException;
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
  void aSecondAdapterOnTheSameCallProceedsInsteadOfInterceptingAgain() throws Throwable {
    var method = Tools.class.getDeclaredMethod("guardedOnHost");
    AtomicInteger bodies = new AtomicInteger();
    Object result = interceptor.intercept(new Tools(), method, new Object[0], () ->
        // What a woven method does when an outer proxy proceeds into it: call the interceptor again.
        interceptor.intercept(new Tools(), method, new Object[0], () -> {
          bodies.incrementAndGet();
          return "host";
        }));
    assertThat(result).isEqualTo("host");
    assertThat(bodies).hasValue(1);
    assertThat(interceptor.auditLog().counts()).containsEntry("success", 1L);
  }

  @Test
  void hostExceptionsPassThroughUnchanged() throws Exception {
    var method = Tools.class.getDeclaredMethod("guardedOnHost");
    assertThatThrownBy(() -> interceptor.intercept(new Tools(), method, new Object[0], () -> {
      throw new java.io.IOException("disk");
    })).isInstanceOf(java.io.IOException.class).hasMessage("disk");
  }
}
