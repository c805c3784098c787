package dev.airlock.spring;

import dev.airlock.AirlockApprovals;
import dev.airlock.internal.intercept.AirlockInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Health and metrics for Airlock, each only when its library is on the classpath. */
@AutoConfiguration(after = AirlockAutoConfiguration.class,
    afterName = "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBean(AirlockPools.class)
public class AirlockActuatorAutoConfiguration {

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class Health {
    @Bean
    @ConditionalOnMissingBean(value = AirlockHealthIndicator.class, name = "airlockHealthIndicator")
    AirlockHealthIndicator airlockHealthIndicator(AirlockPools pools) {
      return new AirlockHealthIndicator(pools);
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  @ConditionalOnBean(MeterRegistry.class)
  static class Metrics {
    @Bean
    @ConditionalOnMissingBean
    AirlockMetrics airlockMetrics(MeterRegistry registry, AirlockPools pools,
        ObjectProvider<AirlockInterceptor> interceptor, ObjectProvider<AirlockApprovals> approvals) {
      AirlockInterceptor guard = interceptor.getIfAvailable();
      AirlockApprovals approval = approvals.getIfAvailable();
      return guard == null ? new AirlockMetrics(registry, pools) : approval == null
          ? new AirlockMetrics(registry, pools, guard) : new AirlockMetrics(registry, pools, guard, approval);
    }
  }
}
