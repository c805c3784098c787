package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

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
}
