package dev.airlock.spring;

import dev.airlock.AirlockApprovals;
import dev.airlock.AirlockConfig;
import dev.airlock.ApprovalHandler;
import dev.airlock.ApprovalStore;
import dev.airlock.ExecutionListener;
import dev.airlock.SandboxPool;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.internal.intercept.EffectiveAirlock;
import dev.airlock.spi.SecretResolver;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;
import org.aopalliance.intercept.MethodInterceptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.Advisor;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.core.type.AnnotationMetadata;

/** Honours {@link Airlock} on beans' methods through a proxy that calls the core interceptor. */
@AutoConfiguration
@ConditionalOnClass({AirlockInterceptor.class, Advisor.class})
@Conditional(AirlockAutoConfiguration.EnabledSwitch.class)
@EnableConfigurationProperties(AirlockProperties.class)
@Import(AirlockAutoConfiguration.AutoProxyRegistrar.class)
public class AirlockAutoConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(AirlockAutoConfiguration.class);

  @Bean
  @ConditionalOnMissingBean
  public AirlockConfig airlockConfig(AirlockProperties properties) {
    return properties.toConfig();
  }

  @Bean
  @ConditionalOnMissingBean
  public AirlockPools airlockPools(AirlockConfig config, ObjectProvider<ExecutionListener> listeners,
      ObjectProvider<SecretResolver> secretResolvers) {
    // Before any pool starts: egress secrets ${<scheme>:name} may name a resolver bean's scheme.
    secretResolvers.orderedStream().forEach(EgressSettings::register);
    return new AirlockPools(config, fanOut(listeners));
  }

  /**
   * Every {@link ExecutionListener} bean hears every event, looked up per event so listeners that depend on the
   * pools (metrics, health) create no cycle; one that throws is logged and does not keep the others from the event.
   */
  private static ExecutionListener fanOut(ObjectProvider<ExecutionListener> listeners) {
    return new ExecutionListener() {
      @Override
      public void callStart(Call call) {
        tell(listener -> listener.callStart(call));
      }

      @Override
      public void callEnd(Event event) {
        tell(listener -> listener.callEnd(event));
      }

      @Override
      public void callFailed(Event event, Throwable failure) {
        tell(listener -> listener.callFailed(event, failure));
      }

      private void tell(Consumer<ExecutionListener> event) {
        listeners.orderedStream().forEach(listener -> {
          try {
            event.accept(listener);
          } catch (RuntimeException e) {
            LOG.warn("Airlock execution listener {} failed", listener, e);
          }
        });
      }
    };
  }

  /**
   * Approval of the calls that need it: blocking with the {@link ApprovalHandler} bean when there is one, else
   * suspended in memory ({@code airlock.approval.*}); declare an {@link AirlockApprovals} bean to choose otherwise.
   */
  @Bean
  @ConditionalOnMissingBean
  public AirlockApprovals airlockApprovals(AirlockProperties properties, ObjectProvider<ApprovalHandler> handler) {
    AirlockProperties.Approval settings = properties.getApproval();
    AirlockApprovals.Builder builder = AirlockApprovals.builder();
    handler.ifAvailable(builder::handler);
    if (settings.getTimeoutSeconds() != null) {
      builder.timeout(Duration.ofSeconds(settings.getTimeoutSeconds()));
    }
    if (settings.getExpireAfterSeconds() != null) {
      builder.expireAfter(Duration.ofSeconds(settings.getExpireAfterSeconds()));
    }
    if (settings.getMaxPendingPerSession() != null) {
      builder.maxPendingPerSession(settings.getMaxPendingPerSession());
    }
    if (settings.getMaxPending() != null || settings.getMaxPendingBytes() != null) {
      builder.store(ApprovalStore.inMemory(
          settings.getMaxPending() == null ? AirlockApprovals.DEFAULT_MAX_PENDING : settings.getMaxPending(),
          settings.getMaxPendingBytes() == null ? ApprovalStore.DEFAULT_MAX_BYTES : settings.getMaxPendingBytes()));
    }
    return builder.build();
  }

  /**
   * Eager start ({@code airlock.pool.eager}, default true): once the context's singletons exist, the default pool's
   * backend probe, its {@code min-size} workers and the host side of a call start in the background, so the first
   * call does not wait for them. The price is CPU while the application starts.
   */
  @Bean
  SmartInitializingSingleton airlockEagerStart(AirlockPools pools) {
    return () -> {
      AirlockConfig config = pools.config();
      if (config.poolEager()) {
        pools.pool(config.backend(), config.memoryMb()).warmUp();
      }
    };
  }

  /** Internal (its type is not API): replace {@link AirlockPools} or {@link AirlockConfig} to change where calls go. */
  @Bean
  @ConditionalOnMissingBean
  AirlockInterceptor airlockInterceptor(AirlockPools pools, AirlockApprovals approvals) {
    return new AirlockInterceptor(resolver(pools), () -> approvals);
  }

  /** {@code pools} as the interceptor asks for them. */
  static AirlockInterceptor.PoolResolver resolver(AirlockPools pools) {
    return new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return pools.config();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        return pools.pool(backend, memoryMb);
      }
    };
  }

  /**
   * Infrastructure role so Boot's own auto-proxy creator applies it. Lazy lookup keeps beans out of early init. The
   * pointcut asks the core's one rule ({@link EffectiveAirlock}), so the proxy matches exactly the calls the
   * interceptor treats as tools, inherited annotations included.
   */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  @ConditionalOnMissingBean(name = "airlockAdvisor")
  static Advisor airlockAdvisor(ObjectProvider<AirlockInterceptor> interceptor) {
    MethodInterceptor advice = invocation -> interceptor.getObject().intercept(invocation.getThis(),
        invocation.getMethod(), invocation.getArguments(), invocation::proceed);
    return new DefaultPointcutAdvisor(new ToolPointcut(), advice);
  }

  /** Methods that {@link EffectiveAirlock} says an {@link Airlock} governs, on the bean's own class. */
  static final class ToolPointcut extends StaticMethodMatcherPointcut {
    @Override
    public boolean matches(Method method, Class<?> targetClass) {
      return EffectiveAirlock.governs(targetClass, method);
    }
  }

  /** Makes sure an auto-proxy creator exists, proxying classes so beans need no interface. */
  static class AutoProxyRegistrar implements ImportBeanDefinitionRegistrar {
    @Override
    public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
      AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
      AopConfigUtils.forceAutoProxyCreatorToUseClassProxying(registry);
    }
  }

  /**
   * {@code airlock.enabled}: absent or {@code true} turns Airlock on, {@code false} off, any other value stops
   * startup. Off, every {@code @Airlock} method (a {@code sandboxRequired} one too) is a plain host call, so a value
   * that only looks like a boolean to Spring's binder ({@code yes}, {@code on}, {@code 1}), a typo or a stray space
   * must not decide it silently.
   */
  static final class EnabledSwitch extends SpringBootCondition {
    static final String KEY = "airlock.enabled";

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      String value = context.getEnvironment().getProperty(KEY);
      if (value == null || value.toLowerCase(Locale.ROOT).equals("true")) {
        return ConditionOutcome.match(KEY + (value == null ? " not set" : "=true"));
      }
      if (value.toLowerCase(Locale.ROOT).equals("false")) {
        return ConditionOutcome.noMatch(KEY + "=false");
      }
      String shown = value.length() > 40 ? value.substring(0, 40) + "..." : value;
      throw new IllegalStateException("Invalid Airlock configuration: " + KEY + "='" + GuestText.escape(shown)
          + "' is neither true nor false. false runs every @Airlock method on the host, unsandboxed, so only the "
          + "exact word turns Airlock off: write true or false, or remove the property");
    }
  }
}
