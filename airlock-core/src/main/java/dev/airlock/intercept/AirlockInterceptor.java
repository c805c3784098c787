package dev.airlock.intercept;

import dev.airlock.Airlock;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxPool;
import java.lang.reflect.Method;
import java.time.Duration;

/**
 * The one interception entry: the java agent, the AspectJ aspect and the Spring advisor each turn their join point
 * into a call of {@link #intercept} and hold no logic of their own.
 *
 * <pre>{@code
 * Object result = AirlockInterceptor.shared().intercept(target, method, args, joinPoint::proceed);
 * }</pre>
 *
 * <p>Inside a sandbox worker, and for methods without {@link Airlock}, it simply proceeds. With
 * {@code sandbox = false} the body runs on the host under the timeout. Otherwise the call goes to a pool.
 */
public final class AirlockInterceptor {

  /** Where calls go: the pool for a backend and heap, and the configuration that fills annotation defaults. */
  public interface PoolResolver {
    AirlockConfig config();

    SandboxPool pool(String backend, int memoryMb);
  }

  private static final AirlockInterceptor SHARED = new AirlockInterceptor(new PoolResolver() {
    @Override
    public AirlockConfig config() {
      return AirlockRuntime.config();
    }

    @Override
    public SandboxPool pool(String backend, int memoryMb) {
      return AirlockRuntime.pool(backend, memoryMb);
    }
  });

  private final PoolResolver pools;

  public AirlockInterceptor(PoolResolver pools) {
    this.pools = pools;
  }

  /** The interceptor backed by {@link AirlockRuntime}, for adapters that cannot be injected. */
  public static AirlockInterceptor shared() {
    return SHARED;
  }

  /**
   * Runs one call of an {@link Airlock} method.
   *
   * @param receiver the target object (not a proxy), or {@code null} for a static method
   * @param method the annotated method
   * @param args the call's arguments
   * @param proceed runs the method's own body on the host
   */
  public Object intercept(Object receiver, Method method, Object[] args, LocalCall proceed) throws Throwable {
    Airlock airlock = method.getAnnotation(Airlock.class);
    if (airlock == null || AirlockRuntime.isSandboxed()) {
      return proceed.proceed();
    }
    AirlockConfig config = pools.config();
    Duration timeout = Duration.ofSeconds(airlock.timeoutSeconds() > 0 ? airlock.timeoutSeconds()
        : config.timeoutSeconds());
    if (!airlock.sandbox()) {
      return LocalExecution.run(proceed, timeout, method.getDeclaringClass().getSimpleName() + "." + method.getName());
    }
    String backend = airlock.backend().isEmpty() ? config.backend() : airlock.backend();
    int memoryMb = airlock.memoryMb() > 0 ? airlock.memoryMb() : config.memoryMb();
    boolean required = airlock.sandboxRequired() || config.sandboxRequired();
    return pools.pool(backend, memoryMb).invoke(new Invocation(receiver, method, args, timeout, required, proceed));
  }
}
