package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.NestedExceptionUtils;

/**
 * Attack review 35: a bean whose tool method two annotations govern that do not override each other ({@code
 * implements HostTool, ShellTool}): the first one found governed, so the order of the {@code implements} clause ran
 * a tool whose interface requires a sandbox on the host. Every such call is refused now, so startup stops, naming
 * both annotations and the fix.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConflictingToolBeanTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class))
      .withPropertyValues("airlock.pool.min-size=0", "airlock.pool.max-size=1", "airlock.pool.eager=false");

  public interface ShellTool {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    String run(String command);
  }

  public interface AuditedTool {
    @Airlock(timeoutSeconds = 60)
    String run(String command);
  }

  public static class ShellTools implements AuditedTool, ShellTool {
    @Override
    public String run(String command) {
      return command + " ran " + (AirlockRuntime.isSandboxed() ? "sandboxed" : "on the HOST");
    }
  }

  @Test
  void aBeanWhoseToolMethodConflictingAnnotationsGovernStopsStartup() {
    runner.withBean(ShellTools.class).run(context -> {
      assertThat(context).hasFailed();
      assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("bean 'conflictingToolBeanTest.ShellTools'")
          .hasMessageContaining("AuditedTool.run (sandbox = false)")
          .hasMessageContaining("ShellTool.run (sandbox = true, sandboxRequired = true)")
          .hasMessageContaining("order of declarations");
    });
  }
}
