package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockRuntime;
import dev.airlock.UnshippableInvocationException;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.intercept.AirlockInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AirlockAdvisorTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class,
          AirlockActuatorAutoConfiguration.class))
      .withPropertyValues("airlock.local.isolation=none", "airlock.pool.min-size=0", "airlock.pool.max-size=1")
      .withUserConfiguration(Beans.class);

  @Test
  void annotatedBeanMethodRunsInAWorkerAndIsTimed() {
    runner.run(context -> {
      Tools tools = context.getBean(Tools.class);
      assertThat(AopUtils.isAopProxy(tools)).isTrue();
      assertThat(tools.whereAmI("x")).isEqualTo("x sandboxed=true");
      assertThat(context.getBean(MeterRegistry.class).get("airlock.executions")
          .tags("outcome", "success", "backend", "local").timer().count()).isEqualTo(1);
      assertThat(context.getBean(MeterRegistry.class).get("airlock.guard.calls").tags("outcome", "success")
          .functionCounter().count()).isEqualTo(1);
      assertThat(context.getBean(AirlockHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
      assertThat(context.getBean(AirlockPools.class).pools()).hasSize(1);
    });
  }

  @Test
  void injectedCollaboratorThatCannotShipIsNamedWithTheFix() {
    runner.run(context -> {
      StatefulTools tools = context.getBean(StatefulTools.class);
      assertThatThrownBy(() -> tools.run())
          .isInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("receiver.collaborator.executor")
          .hasMessageContaining("transient")
          .hasMessageContaining("stateless bean");
      // Refused before any worker, and still one timed outcome (issue 16: metrics see every outcome).
      assertThat(context.getBean(MeterRegistry.class).get("airlock.executions")
          .tags("outcome", "rejected", "backend", "local").timer().count()).isEqualTo(1);
      assertThat(context.getBean(AirlockPools.class).pools().get(0).stats().workersStarted()).isZero();
    });
  }

  @Test
  void healthIsDownWhenARequiredSandboxCannotBeHad() {
    runner.withPropertyValues("airlock.sandbox-required=true", "airlock.local.java=/nonexistent/bin/java")
        .run(context -> {
          assertThatThrownBy(() -> context.getBean(Tools.class).whereAmI("z"));
          assertThat(context.getBean(AirlockHealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
        });
  }

  @Test
  void healthIsDownBeforeAnyCallWhenARequiredBackendCannotBeHad() {
    runner.withPropertyValues("airlock.sandbox-required=true", "airlock.local.java=/nonexistent/bin/java")
        .run(context -> {
          Health health = context.getBean(AirlockHealthIndicator.class).health();
          assertThat(health.getStatus()).isEqualTo(Status.DOWN);
          assertThat(health.getDetails()).containsEntry("unavailable", "local");
          assertThat(health.getDetails().get("pool.local").toString()).contains("/nonexistent/bin/java");
        });
  }

  @Test
  void healthIsUpWithBackendPostureAndStats() {
    runner.run(context -> {
      Health health = context.getBean(AirlockHealthIndicator.class).health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsEntry("backend", "local").containsKey("pool.local");
      assertThat(health.getDetails().get("pool.local").toString()).contains("stats=").contains("posture=");
    });
  }

  @Test
  void callThatFallsBackToTheHostIsCountedAndTimed() {
    runner.withPropertyValues("airlock.local.java=/nonexistent/bin/java").run(context -> {
      assertThat(context.getBean(Tools.class).whereAmI("f")).isEqualTo("f sandboxed=false");
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      assertThat(registry.get("airlock.fallbacks").counter().count()).isEqualTo(1);
      assertThat(registry.get("airlock.executions").tags("outcome", "fallback", "backend", "local").timer().count())
          .isEqualTo(1);
      assertThat(registry.get("airlock.pool.active").gauge().value()).isZero();
      assertThat(registry.get("airlock.pool.idle").gauge().value()).isZero();
    });
  }

  @Test
  void advisorProceedsWithoutASecondDispatchWhenAnotherAdapterRunsTheCall() throws Exception {
    Method method = HostTools.class.getMethod("onHost", String.class);
    runner.run(context -> {
      HostTools proxy = context.getBean(HostTools.class);
      HostTools target = (HostTools) AopProxyUtils.getSingletonTarget(proxy);
      AirlockInterceptor outer =
          new AirlockInterceptor(AirlockAutoConfiguration.resolver(context.getBean(AirlockPools.class)));

      // As the java agent would: the outer adapter runs the body on the host, and that body is the proxy's call.
      Object result = outer.intercept(target, method, new Object[] {"w"}, () -> proxy.onHost("w"));

      assertThat(result).isEqualTo("w ran 1");
      assertThat(outer.auditLog().counts()).containsEntry("success", 1L);
      assertThat(context.getBean(AirlockInterceptor.class).auditLog().counts()).isEmpty();
    });
  }

  @Test
  void poolsCloseWithTheContext() {
    AirlockPools[] pools = new AirlockPools[1];
    runner.run(context -> {
      pools[0] = context.getBean(AirlockPools.class);
      context.getBean(Tools.class).whereAmI("y");
    });
    assertThat(pools[0].pools()).isEmpty();
  }

  @Configuration
  static class Beans {
    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }

    @Bean
    Tools tools() {
      return new Tools();
    }

    @Bean
    HostTools hostTools() {
      return new HostTools();
    }

    @Bean(destroyMethod = "shutdownNow")
    ExecutorService executor() {
      return Executors.newSingleThreadExecutor();
    }

    @Bean
    Collaborator collaborator(ExecutorService executor) {
      return new Collaborator(executor);
    }

    @Bean
    StatefulTools statefulTools(Collaborator collaborator) {
      return new StatefulTools(collaborator);
    }
  }

  /** Its body runs on the host, so it may hold what cannot ship. */
  public static class HostTools {
    private final AtomicInteger runs = new AtomicInteger();

    @Airlock(sandbox = false, timeoutSeconds = 60)
    public String onHost(String label) {
      return label + " ran " + runs.incrementAndGet();
    }
  }

  public static class Tools {
    @Airlock(sandbox = true, timeoutSeconds = 60)
    public String whereAmI(String label) {
      return label + " sandboxed=" + AirlockRuntime.isSandboxed();
    }
  }

  public static class Collaborator {
    final ExecutorService executor;

    Collaborator(ExecutorService executor) {
      this.executor = executor;
    }
  }

  public static class StatefulTools {
    private final Collaborator collaborator;

    public StatefulTools(Collaborator collaborator) {
      this.collaborator = collaborator;
    }

    @Airlock(sandbox = true)
    public String run() {
      return String.valueOf(collaborator);
    }
  }
}
