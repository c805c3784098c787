package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.inherited.InheritedTools;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Issue 20 item 1: a bean whose method inherits {@code @Airlock} (from an interface, an abstract or concrete
 * superclass, a generic interface through its bridge, a default method, or its class) is proxied, and the call runs
 * in the sandbox under the inherited settings instead of on the host.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class InheritedAirlockTest {

  @Test
  void inheritedAnnotationsAreAdvisedAndRunInTheSandbox() {
    ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class))
        .withPropertyValues("airlock.pool.min-size=0", "airlock.pool.max-size=1", "airlock.timeout-seconds=60");
    for (Class<?> type : InheritedTools.classes()) {
      runner = registerBean(runner, type);
    }
    runner.run(context -> {
      Map<Class<?>, Object> beans = new LinkedHashMap<>();
      for (Class<?> type : InheritedTools.classes()) {
        beans.put(type, context.getBean(type.getName(), type));
      }
      assertThat(InheritedTools.callAll(beans)).containsExactlyEntriesOf(InheritedTools.expected());
      assertThat(context.getBean(dev.airlock.internal.intercept.AirlockInterceptor.class).auditLog().counts())
          .containsEntry("success", 9L);
    });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static ApplicationContextRunner registerBean(ApplicationContextRunner runner, Class<?> type) {
    return runner.withBean(type.getName(), (Class) type);
  }
}
