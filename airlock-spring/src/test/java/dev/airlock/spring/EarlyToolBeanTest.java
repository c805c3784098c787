package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.FactoryBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;
import org.springframework.context.annotation.ScopedProxyMode;

/**
 * Attack review 22: a tool bean that no post-processor saw holds no Airlock proxy, and its calls ran the body on the
 * host, a {@code sandboxRequired} tool too, with no policy, sandbox or audit: one built as a dependency of a
 * {@code BeanFactoryPostProcessor} (before any post-processor exists), or an object registered as it is. Such a bean
 * now stops startup, naming it and the fix.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EarlyToolBeanTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class))
      .withPropertyValues("airlock.pool.min-size=0", "airlock.pool.max-size=1");

  public static class ShellTools {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public String where() {
      return AirlockRuntime.isSandboxed() ? "sandbox" : "HOST";
    }
  }

  /** An application's factory post-processor that needs the tool bean: Spring builds the tool before any proxy. */
  @Configuration(proxyBeanMethods = false)
  static class EagerDependency {
    @Bean
    static ShellTools shellTools() {
      return new ShellTools();
    }

    @Bean
    static BeanFactoryPostProcessor auditing(ShellTools tools) {
      return factory -> { };
    }
  }

  /** A factory bean that makes the tool. */
  public static class ShellToolsFactory implements FactoryBean<ShellTools> {
    @Override
    public ShellTools getObject() {
      return new ShellTools();
    }

    @Override
    public Class<?> getObjectType() {
      return ShellTools.class;
    }
  }

  /** The same, the tool made by a factory bean: Spring keeps the product beside the factory, not as a singleton. */
  @Configuration(proxyBeanMethods = false)
  static class EagerFactoryProduct {
    @Bean
    static ShellToolsFactory shellTools() {
      return new ShellToolsFactory();
    }

    @Bean
    static BeanFactoryPostProcessor auditing(ShellTools tools) {
      return factory -> { };
    }
  }

  /** A factory bean whose product no one needs early: made after the post-processors, so proxied. */
  @Configuration(proxyBeanMethods = false)
  static class LateFactoryProduct {
    @Bean
    static ShellToolsFactory shellTools() {
      return new ShellToolsFactory();
    }
  }

  /** A scoped tool bean behind Spring's scoped proxy, a factory bean's product that hands each call to the bean. */
  @Configuration(proxyBeanMethods = false)
  static class ScopedTool {
    @Bean
    @Scope(value = "prototype", proxyMode = ScopedProxyMode.TARGET_CLASS)
    static ShellTools shellTools() {
      return new ShellTools();
    }
  }

  /** The fix the message names: the post-processor takes the tool lazily. */
  @Configuration(proxyBeanMethods = false)
  static class LazyDependency {
    @Bean
    static ShellTools shellTools() {
      return new ShellTools();
    }

    @Bean
    static BeanFactoryPostProcessor auditing(ObjectProvider<ShellTools> tools) {
      return factory -> { };
    }
  }

  @Test
  void aToolBeanBuiltForAFactoryPostProcessorStopsStartup() {
    runner.withUserConfiguration(EagerDependency.class).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("'shellTools'").hasMessageContaining("no Airlock proxy")
          .hasMessageContaining("inject it lazily");
    });
  }

  /**
   * (Attack review 23: the check read the singletons only, where a factory bean's product is not, and its calls ran
   * on the host: {@code where()} answered {@code HOST}.)
   */
  @Test
  void aFactoryBeansProductBuiltForAFactoryPostProcessorStopsStartup() {
    runner.withUserConfiguration(EagerFactoryProduct.class).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("'shellTools'").hasMessageContaining("no Airlock proxy");
    });
  }

  @Test
  void aFactoryBeansProductMadeLaterIsProxiedAndRunsInTheSandbox() {
    runner.withUserConfiguration(LateFactoryProduct.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(ShellTools.class).where()).isEqualTo("sandbox");
    });
  }

  /**
   * A scoped proxy holds no Airlock advisor (Spring's auto-proxy creator leaves it alone), but the beans it hands
   * calls to are proxied: startup goes on, and a call runs in the sandbox.
   */
  @Test
  void aScopedToolBeanBehindItsScopedProxyStartsAndRunsInTheSandbox() {
    runner.withUserConfiguration(ScopedTool.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(ShellTools.class).where()).isEqualTo("sandbox");
    });
  }

  @Test
  void aToolObjectRegisteredAsItIsStopsStartup() {
    runner.withInitializer(context -> context.getBeanFactory().registerSingleton("ready", new ShellTools()))
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("'ready'").hasMessageContaining("no Airlock proxy");
        });
  }

  @Test
  void aToolBeanTakenLazilyIsProxiedAndRunsInTheSandbox() {
    runner.withUserConfiguration(LazyDependency.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(ShellTools.class).where()).isEqualTo("sandbox");
    });
  }

  /**
   * A tool bean of a parent context that has no Airlock configuration of its own: the child injects and calls it, and
   * no post-processor of the parent proxies it, so its calls ran on the host ({@code where()} answered {@code HOST}).
   */
  @Test
  void aToolBeanOfAParentContextWithoutAirlockStopsTheChildsStartup() {
    try (AnnotationConfigApplicationContext parent = new AnnotationConfigApplicationContext()) {
      parent.registerBean("parentTools", ShellTools.class);
      parent.refresh();
      runner.withParent(parent).run(context -> {
        assertThat(context).hasFailed();
        assertThat(context.getStartupFailure()).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("'parentTools'").hasMessageContaining("parent context")
            .hasMessageContaining("no Airlock proxy");
      });
    }
  }

  /** A parent context with Airlock's configuration proxies its own tool beans: the child starts, calls are sandboxed. */
  @Test
  void aToolBeanOfAParentContextWithAirlockRunsInTheSandbox() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class))
        .withPropertyValues("airlock.pool.min-size=0", "airlock.pool.max-size=1")
        .withBean("parentTools", ShellTools.class).run(parent -> runner.withParent(parent).run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(ShellTools.class).where()).isEqualTo("sandbox");
        }));
  }

  /** A prototype tool bean: the instance made for the post-processor is the one the application keeps and calls. */
  @Configuration(proxyBeanMethods = false)
  static class EagerPrototype {
    @Bean
    @Scope("prototype")
    static ShellTools shellTools() {
      return new ShellTools();
    }

    @Bean
    static BeanFactoryPostProcessor auditing(ShellTools tools) {
      return factory -> { };
    }
  }

  /** A factory bean that declares its product only as an {@code Object}, which has no tool method. */
  public static class UntypedToolsFactory implements FactoryBean<Object> {
    @Override
    public Object getObject() {
      return new ShellTools();
    }

    @Override
    public Class<?> getObjectType() {
      return Object.class;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class EagerUntypedProduct {
    @Bean
    static UntypedToolsFactory shellTools() {
      return new UntypedToolsFactory();
    }

    /** Asks for the product by name while post-processing the factory, before any bean post-processor exists. */
    @Bean
    static BeanFactoryPostProcessor auditing() {
      return factory -> factory.getBean("shellTools");
    }
  }

  /**
   * Beans the end-of-startup check cannot read: a prototype (not kept as a singleton) and a factory bean's product
   * whose declared type has no tool method (the check does not make a product the factory says is no tool). Made for a post-processor, neither was proxied, and their calls ran on
   * the host. They are seen as they are made.
   */
  @Test
  void aPrototypeOrAnUndeclaredProductBuiltForAFactoryPostProcessorStopsStartup() {
    for (Class<?> configuration : List.of(EagerUntypedProduct.class, EagerPrototype.class)) {
      runner.withUserConfiguration(configuration).run(context -> {
        assertThat(context).as(configuration.getSimpleName()).hasFailed();
        assertThat(context.getStartupFailure()).as(configuration.getSimpleName())
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("'shellTools'")
            .hasMessageContaining("no Airlock proxy");
      });
    }
  }
}
