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
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import org.aopalliance.intercept.MethodInterceptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.Advisor;
import org.springframework.aop.TargetSource;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.FactoryBean;
import org.springframework.beans.factory.HierarchicalBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
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
import org.springframework.util.ClassUtils;

/** Honours {@link Airlock} on beans' methods through a proxy that calls the core interceptor. */
@AutoConfiguration
@ConditionalOnClass({AirlockInterceptor.class, Advisor.class})
@Conditional(AirlockAutoConfiguration.EnabledSwitch.class)
@EnableConfigurationProperties(AirlockProperties.class)
@Import(AirlockAutoConfiguration.AutoProxyRegistrar.class)
public class AirlockAutoConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(AirlockAutoConfiguration.class);
  /** The bean name of the advisor that proxies tool beans. */
  private static final String ADVISOR = "airlockAdvisor";

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
  @ConditionalOnMissingBean(name = ADVISOR)
  static Advisor airlockAdvisor(ObjectProvider<AirlockInterceptor> interceptor) {
    MethodInterceptor advice = invocation -> interceptor.getObject().intercept(invocation.getThis(),
        invocation.getMethod(), invocation.getArguments(), invocation::proceed);
    return new DefaultPointcutAdvisor(new ToolPointcut(), advice);
  }

  /**
   * Stops startup at a bean whose class has a tool method the proxy cannot reach. A {@code final} method an
   * {@link Airlock} governs: a class proxy cannot override it, so a call of it on the bean runs the body on the host,
   * on the proxy instance itself, with no policy, sandbox or audit, a {@code sandboxRequired} tool too (Spring says so
   * at debug level only). A {@code static} method with its own {@link Airlock}: no proxy is ever called for it
   * ({@link StaticToolCheck}). Left alone when something else intercepts the method's own code: the java agent, or
   * AspectJ weaving.
   */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  static BeanPostProcessor airlockToolMethodCheck() {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessBeforeInitialization(Object bean, String beanName) {
        Class<?> type = ClassUtils.getUserClass(bean);
        refuseConflictingTools(type, beanName);
        refuseFinalTools(type, beanName);
        StaticToolCheck.refuse(type, "bean '" + beanName + "' (" + type.getName() + ")");
        return bean;
      }
    };
  }

  /** Looks for static tool methods in the application's own packages before any bean is made. */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  static StaticToolCheck airlockStaticToolCheck() {
    return new StaticToolCheck();
  }

  /**
   * Stops startup at a singleton bean with tool methods that holds no Airlock proxy: one Spring built before its
   * auto-proxy creator was in place (a dependency of a {@code BeanFactoryPostProcessor}, or of a post-processor
   * created before it), or an object registered as it is ({@code registerSingleton}). No post-processor ever saw it,
   * so its calls ran the tool's body on the host with no policy, sandbox or audit, a {@code sandboxRequired} tool
   * too (Spring says at most that it is "not eligible for auto-proxying"). Left alone when the java agent or AspectJ
   * weaving intercepts the method itself. Runs once every singleton exists.
   */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  static SmartInitializingSingleton airlockUnproxiedToolCheck(ConfigurableListableBeanFactory beans,
      EarlyToolBeans early) {
    return () -> {
      EarlyToolBeans.Early first = early.first();
      if (first != null) {
        throw madeTooEarly(first.name(), first.type(), first.tool());
      }
      refuseUnproxiedTools(beans);
    };
  }

  /** Sees the tool beans made before the auto-proxy creator: prototypes and factory products included. */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  static EarlyToolBeans airlockEarlyToolBeans() {
    return new EarlyToolBeans();
  }

  /**
   * Checks this context's singletons, then those of each parent context: the context injects a parent's beans as its
   * own, and a parent without Airlock's configuration proxies none of its tool beans (their calls ran on the host).
   */
  static void refuseUnproxiedTools(ConfigurableListableBeanFactory beans) {
    BeanFactory factory = beans;
    for (boolean parent = false; factory != null; parent = true) {
      if (factory instanceof ConfigurableListableBeanFactory context) {
        refuseUnproxiedTools(context, parent);
      }
      factory = factory instanceof HierarchicalBeanFactory child ? child.getParentBeanFactory() : null;
    }
  }

  private static void refuseUnproxiedTools(ConfigurableListableBeanFactory beans, boolean parent) {
    Object advisor = beans.containsSingleton(ADVISOR) ? beans.getSingleton(ADVISOR) : null;
    for (String name : beans.getSingletonNames()) {
      Object bean = product(beans, name, beans.getSingleton(name), advisor);
      if (bean == null || airlockProxy(bean, advisor)) {
        continue;
      }
      Class<?> type = ClassUtils.getUserClass(bean);
      Method tool = firstTool(type);
      if (tool == null || wovenElsewhere(type)) {
        continue;
      }
      if (parent) {
        throw new IllegalStateException("Airlock: bean '" + name + "' (" + type.getName() + ") of a parent context "
            + "has the tool method " + tool + " but no Airlock proxy: that context has no Airlock configuration, so "
            + "its calls, this context's included, would run on the host with no policy, sandbox or audit. Fix: "
            + "enable Airlock in the parent context too, or define the bean in this one; or run with the java agent "
            + "or AspectJ weaving, which intercept the method itself");
      }
      throw madeTooEarly(name, type, tool);
    }
  }

  private static IllegalStateException madeTooEarly(String name, Class<?> type, Method tool) {
    return new IllegalStateException("Airlock: bean '" + name + "' (" + type.getName() + ") has the tool method "
        + tool + " but no Airlock proxy: it was created before Spring's post-processors could proxy it (a "
        + "dependency of a BeanFactoryPostProcessor or of an early BeanPostProcessor) or registered as a ready "
        + "object, so its calls would run on the host with no policy, sandbox or audit. Fix: inject it lazily "
        + "there (ObjectProvider, @Lazy), or let Spring create it as a bean; or run with the java agent or "
        + "AspectJ weaving, which intercept the method itself");
  }

  private static boolean airlockProxy(Object bean, Object advisor) {
    return bean instanceof Advised advised && advisor != null
        && Arrays.asList(advised.getAdvisors()).contains(advisor);
  }

  /**
   * The object a singleton stands for: the product of a factory bean whose product is a tool (its single one, made
   * now if no one has asked for it yet, when post-processors are in place), else the singleton; null when there is
   * nothing to check. A factory bean's product is kept beside it, not among the singletons: one built for a
   * {@code BeanFactoryPostProcessor} escaped the check, and its calls ran on the host. A product that is a proxy
   * without Airlock's advisor (a scoped proxy, a {@code ProxyFactoryBean}'s) hands each call to the bean behind it,
   * which is what is checked; a bean its target source takes per call (a scoped or prototype bean's) is made by the
   * bean factory when called, after the post-processors, so it is proxied, and there is nothing to check now.
   */
  private static Object product(ConfigurableListableBeanFactory beans, String name, Object singleton,
      Object advisor) {
    if (!(singleton instanceof FactoryBean<?> factory) || !factory.isSingleton()) {
      return singleton;
    }
    Class<?> made = beans.getType(name, false);
    if (made != null && firstTool(made) == null) {
      return singleton;
    }
    Object product = beans.getBean(name);
    while (product instanceof Advised advised && !airlockProxy(product, advisor)) {
      TargetSource source = advised.getTargetSource();
      if (!source.isStatic()) {
        return null;
      }
      try {
        product = source.getTarget();
      } catch (Exception e) {
        throw new IllegalStateException("Airlock: the bean behind '" + name + "' cannot be told", e);
      }
    }
    return product;
  }

  /** A method {@link EffectiveAirlock} says an {@link Airlock} governs on instances of {@code type}, or null. */
  static Method firstTool(Class<?> type) {
    for (Method method : type.getMethods()) {
      if (!Modifier.isStatic(method.getModifiers()) && EffectiveAirlock.governs(type, method)) {
        return method;
      }
    }
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        if (!Modifier.isStatic(method.getModifiers()) && !Modifier.isPrivate(method.getModifiers())
            && EffectiveAirlock.governs(type, method)) {
          return method;
        }
      }
    }
    return null;
  }

  /**
   * Throws when a tool method of the bean is governed by an {@link Airlock} that a stricter one of its hierarchy
   * contradicts ({@link EffectiveAirlock.Resolved#conflict()}: {@code implements HostTool, ShellTool}): every call
   * would be refused, so startup stops instead, whichever adapter intercepts it.
   */
  static void refuseConflictingTools(Class<?> type, String beanName) {
    for (Method method : type.getMethods()) {
      if (Modifier.isStatic(method.getModifiers()) || method.getDeclaringClass() == Object.class) {
        continue;
      }
      String conflict = EffectiveAirlock.of(type, method).map(EffectiveAirlock.Resolved::conflict).orElse(null);
      if (conflict != null) {
        throw new IllegalStateException("Airlock: bean '" + beanName + "' (" + type.getName() + "): " + conflict);
      }
    }
  }

  static void refuseFinalTools(Class<?> type, String beanName) {
    if (wovenElsewhere(type)) {
      return;
    }
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        int modifiers = method.getModifiers();
        if (Modifier.isPrivate(modifiers) && !Modifier.isStatic(modifiers) && !method.isSynthetic()
            && method.isAnnotationPresent(Airlock.class)) {
          // Reached only from the bean's own code (this.runShell(...)), which no proxy sees: the annotation could
          // never take effect, and the body ran on the host with no policy, sandbox or audit (attack review 35).
          throw new IllegalStateException("Airlock: bean '" + beanName + "' (" + type.getName() + ") has the private "
              + "tool method " + method + ", which Spring's proxy cannot intercept (it is called only from the bean's "
              + "own code, never through the proxy): its calls would run on the host with no policy, sandbox or "
              + "audit. Fix: make it a public method of a bean and call it through the injected bean, or run with the "
              + "java agent or AspectJ weaving, which intercept the method itself");
        }
        if (Modifier.isFinal(modifiers) && !Modifier.isStatic(modifiers) && !Modifier.isPrivate(modifiers)
            && !method.isSynthetic() && EffectiveAirlock.governs(type, method)) {
          throw new IllegalStateException("Airlock: bean '" + beanName + "' (" + type.getName() + ") has the final "
              + "tool method " + method + ", which Spring's proxy cannot intercept: its calls would run on the host "
              + "with no policy, sandbox or audit. Fix: remove final from the method (Kotlin: open it, or use the "
              + "kotlin-spring plugin), or run with the java agent or AspectJ weaving, which intercept the method itself");
        }
      }
    }
  }

  /**
   * Whether the method's own code is intercepted: the class was woven by airlock-aspectj (which marks tool types), or
   * the Airlock java agent is installed (it rewrites every tool class as it loads, or refuses it).
   */
  static boolean wovenElsewhere(Class<?> type) {
    try {
      Class<?> marker = Class.forName("dev.airlock.aspectj.AirlockAspect$ToolType", false, type.getClassLoader());
      if (marker.isAssignableFrom(type)) {
        return true;
      }
    } catch (ClassNotFoundException | LinkageError e) {
      // no AspectJ weaving
    }
    return agentInstalled();
  }

  /** Whether the Airlock java agent is installed: it rewrites every tool class as it loads, or refuses it. */
  static boolean agentInstalled() {
    try {
      // An agent's classes are loaded from the system class path; the flag is set by its premain or agentmain.
      Class<?> agent = Class.forName("dev.airlock.agent.AirlockAgent", true, ClassLoader.getSystemClassLoader());
      return Boolean.TRUE.equals(agent.getMethod("installed").invoke(null));
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return false;
    }
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
