package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.AirlockRuntime;
import dev.airlock.ExecutionListener;
import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.internal.intercept.AirlockInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.aopalliance.intercept.MethodInterceptor;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class AirlockAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class,
          AirlockActuatorAutoConfiguration.class));

  @Test
  void createsConfigPoolsInterceptorAdvisorHealthAndMetricsByDefault() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(AirlockConfig.class).hasSingleBean(AirlockPools.class)
          .hasSingleBean(AirlockInterceptor.class).hasBean("airlockAdvisor")
          .hasSingleBean(AirlockHealthIndicator.class).hasSingleBean(AirlockMetrics.class);
    });
  }

  /** Issue 15 target 4: the context's start warms the default pool; airlock.pool.eager=false leaves it to a call. */
  @Test
  void eagerStartStartsTheDefaultPoolsWorkersBeforeAnyCall() {
    runner.withPropertyValues("airlock.local.isolation=none", "airlock.pool.min-size=1", "airlock.pool.max-size=1")
        .run(context -> {
          AirlockPools pools = context.getBean(AirlockPools.class);
          assertThat(pools.pools()).hasSize(1);
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (pools.pools().get(0).stats().idle() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
          }
          assertThat(pools.pools().get(0).stats().idle()).as("a worker started without a call").isEqualTo(1);
          assertThat(pools.pools().get(0).stats().totalExecutions()).isZero();
        });
    runner.withPropertyValues("airlock.pool.eager=false").run(context ->
        assertThat(context.getBean(AirlockPools.class).pools()).isEmpty());
  }

  /** Issue 14 item 10: policies bind from Spring properties, and a misspelt key stops startup. */
  @Test
  void bindsPoliciesByNameAsTypedProperties() {
    runner.withPropertyValues("airlock.policy.global.deny=exec*,delete*", "airlock.policy.read-only.masking=hash",
        "airlock.policy.read-only.rate-limit=10/minute", "airlock.policy.read-only.deny-by-default=true")
        .run(context -> {
          AirlockConfig config = context.getBean(AirlockConfig.class);
          assertThat(config.policyNames()).containsExactly("global", "read-only");
          assertThat(AirlockRuntime.policy("", config).orElseThrow().deny()).containsExactly("exec*", "delete*");
          AirlockPolicy readOnly = AirlockRuntime.policy("read-only", config).orElseThrow();
          assertThat(readOnly.masking()).isEqualTo(AirlockPolicy.Masking.HASH);
          assertThat(readOnly.denyByDefault()).isTrue();
          assertThat(readOnly.rateLimit().permits()).isEqualTo(10);
        });
  }

  @Test
  void bindsEgressKeysSecretsAndAPolicysEgressAndChecksThemAtStartup() {
    runner.withPropertyValues("airlock.egress.allow=api.github.com,*.wikipedia.org",
        "airlock.egress.secrets.openai.host=api.openai.com", "airlock.egress.secrets.openai.header=Authorization",
        // Spring resolves its own placeholders first (${env:X} would read property "env", default "X"): in Spring
        // configuration a secret comes from ${ANY_PROPERTY_OR_ENV_VAR}, resolved on the host.
        "airlock.egress.secrets.openai.value=Bearer ${test.openai-key}", "test.openai-key=sk-spring",
        "airlock.policy.web.egress=example.com:8443")
        .run(context -> {
          AirlockConfig config = context.getBean(AirlockConfig.class);
          EgressSettings egress = EgressSettings.of(config);
          assertThat(egress.allow()).containsExactly("api.github.com", "*.wikipedia.org");
          assertThat(egress.secrets()).singleElement().satisfies(s -> {
            assertThat(s.host()).isEqualTo("api.openai.com");
            assertThat(s.value()).isEqualTo("Bearer sk-spring");
          });
          assertThat(AirlockRuntime.policy("web", config).orElseThrow().egress()).containsExactly("example.com:8443");
        });
    runner.withPropertyValues("airlock.egress.allow=http://api.github.com/x")
        .run(context -> assertThat(context).hasFailed().getFailure()
            .hasStackTraceContaining("airlock.egress.allow"));
  }

  @Test
  void aMisspeltPolicyKeyOrAirlockKeyStopsStartup() {
    runner.withPropertyValues("airlock.policy.global.denny=exec*")
        .run(context -> assertThat(context).hasFailed().getFailure().hasStackTraceContaining("denny"));
    runner.withPropertyValues("airlock.timout-seconds=5")
        .run(context -> assertThat(context).hasFailed().getFailure().hasStackTraceContaining("timout"));
    runner.withPropertyValues("airlock.policy.global.rate-limit=lots")
        .run(context -> assertThat(context).hasFailed().getFailure()
            .hasStackTraceContaining("airlock.policy.global.rate-limit"));
  }

  @Test
  void enabledFalseTurnsItOff() {
    runner.withPropertyValues("airlock.enabled=false").run(context -> assertThat(context).hasNotFailed()
        .doesNotHaveBean(AirlockConfig.class).doesNotHaveBean(AirlockPools.class)
        .doesNotHaveBean(AirlockInterceptor.class).doesNotHaveBean("airlockAdvisor")
        .doesNotHaveBean(AirlockHealthIndicator.class));
  }

  @Test
  void backsOffWithoutTheCoreOnTheClasspath() {
    runner.withClassLoader(new FilteredClassLoader(AirlockInterceptor.class))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(AirlockPools.class));
  }

  @Test
  void healthAndMetricsNeedTheirLibraries() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate.health", "io.micrometer"))
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(AirlockPools.class)
            .doesNotHaveBean(AirlockHealthIndicator.class).doesNotHaveBean(AirlockMetrics.class));
  }

  @Test
  void bindsEveryCoreKeyAndEachBackendSection() {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put(AirlockConfig.BACKEND, "docker");
    expected.put(AirlockConfig.TIMEOUT_SECONDS, "7");
    expected.put(AirlockConfig.SANDBOX_REQUIRED, "true");
    expected.put(AirlockConfig.MEMORY_MB, "128");
    expected.put(AirlockConfig.CPUS, "0.5");
    expected.put(AirlockConfig.PIDS_LIMIT, "64");
    expected.put(AirlockConfig.MAX_PAYLOAD_BYTES, "100000");
    expected.put(AirlockConfig.MAX_RESULT_BYTES, "200000");
    expected.put(AirlockConfig.ALLOWED_CLASSES, "com.example.a.,com.example.b.");
    expected.put(AirlockConfig.MAX_OVERDUE_HOST_CALLS, "5");
    expected.put(AirlockConfig.POOL_MIN_SIZE, "0");
    expected.put(AirlockConfig.POOL_MAX_SIZE, "3");
    expected.put(AirlockConfig.POOL_IDLE_TIMEOUT_SECONDS, "9");
    expected.put(AirlockConfig.POOL_REUSE, "false");
    expected.put(AirlockConfig.POOL_EAGER, "false");
    expected.put(AirlockConfig.LOCAL_ISOLATION, "strict");
    expected.put(AirlockConfig.LOCAL_JAVA, "/opt/jdk/bin/java");
    expected.put(AirlockConfig.LOCAL_CLASS_CACHE, "off");
    expected.put(AirlockConfig.LOCAL_CLASSPATH_FOLDERS, "any");
    expected.put(AirlockConfig.FILES_ROOTS, "/srv/notes,/srv/reports");
    assertThat(expected.keySet()).as("every core key is exercised").containsAll(AirlockConfig.CORE_KEYS);
    expected.put("airlock.docker.image", "airlock-worker:test");
    expected.put("airlock.e2b.template", "airlock-java");
    expected.put("airlock.morph.snapshot", "snap-1");

    runner.withPropertyValues(expected.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .toArray(String[]::new)).run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(AirlockConfig.class).asMap()).containsAllEntriesOf(expected);
        });
  }

  @Test
  void invalidValueFailsStartupNamingTheProperty() {
    runner.withPropertyValues("airlock.pool.max-size=0").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("airlock.pool.max-size");
    });
  }

  @Test
  void valueOfTheWrongTypeFailsStartupNamingTheProperty() {
    runner.withPropertyValues("airlock.timeout-seconds=soon").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure())
          .hasStackTraceContaining("Failed to bind properties under 'airlock.timeout-seconds'");
    });
  }

  @Test
  void backsOffForEachUserDefinedBean() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).withUserConfiguration(UserBeans.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(AirlockConfig.class).timeoutSeconds()).isEqualTo(3);
          assertThat(context.getBean(AirlockPools.class)).isSameAs(context.getBean("userPools"));
          assertThat(context.getBean(AirlockInterceptor.class)).isSameAs(context.getBean("userInterceptor"));
          assertThat(context.getBean("airlockAdvisor")).isSameAs(UserBeans.ADVISOR);
          assertThat(context.getBean(AirlockHealthIndicator.class)).isSameAs(context.getBean("userHealth"));
          assertThat(context.getBean(AirlockMetrics.class)).isSameAs(context.getBean("userMetrics"));
        });
  }

  @Configuration
  static class UserBeans {
    static final Advisor ADVISOR = new DefaultPointcutAdvisor(
        AnnotationMatchingPointcut.forMethodAnnotation(Deprecated.class), (MethodInterceptor) i -> i.proceed());

    @Bean
    AirlockConfig userAirlockConfig() {
      return AirlockConfig.builder().timeoutSeconds(3).build();
    }

    @Bean(destroyMethod = "close")
    AirlockPools userPools(AirlockConfig config) {
      return new AirlockPools(config, ExecutionListener.NONE);
    }

    @Bean
    AirlockInterceptor userInterceptor(AirlockPools pools) {
      return new AirlockInterceptor(AirlockAutoConfiguration.resolver(pools));
    }

    @Bean
    static Advisor airlockAdvisor() {
      return ADVISOR;
    }

    @Bean
    AirlockHealthIndicator userHealth(AirlockPools pools) {
      return new AirlockHealthIndicator(pools);
    }

    @Bean
    AirlockMetrics userMetrics(MeterRegistry registry, AirlockPools pools) {
      return new AirlockMetrics(registry, pools);
    }
  }
}
