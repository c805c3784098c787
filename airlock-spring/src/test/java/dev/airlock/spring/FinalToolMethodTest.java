package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Attack review 17: a proxy cannot override a {@code final} method, so a call of a final {@code @Airlock} method on
 * the bean ran the body on the host (on the proxy instance itself), with no policy, sandbox or audit, even when the
 * sandbox was required; Spring says so only at debug level. Such a bean now stops startup, naming the method and the
 * fix.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FinalToolMethodTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class))
      .withPropertyValues("airlock.local.isolation=none", "airlock.pool.min-size=0", "airlock.pool.max-size=1");

  public static class FinalTools {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public final String whereAmI(String label) {
      return label + " sandboxed=" + AirlockRuntime.isSandboxed();
    }
  }

  /** The final method inherits its {@code @Airlock} from the class. */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
  public static class FinalUnderClassLevelAirlock {
    public final String run() {
      return "ran sandboxed=" + AirlockRuntime.isSandboxed();
    }
  }

  /**
   * Attack review 35: a private tool method, called from the bean's own code. No proxy ever sees the call, so the
   * annotation could never take effect: {@code handle("id")} answered {@code private:HOST}, silently.
   */
  public static class PrivateTools {
    public String handle(String command) {
      return runShell(command);
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    private String runShell(String command) {
      return command + " sandboxed=" + AirlockRuntime.isSandboxed();
    }
  }

  /** Final, but no tool: nothing to refuse. */
  public static class PlainFinal {
    @Airlock(sandbox = false, timeoutSeconds = 60)
    public String tool() {
      return "tool";
    }

    public final String helper() {
      return "helper";
    }
  }

  @Test
  void aBeanWithAPrivateToolMethodStopsStartupNamingTheMethodAndTheFix() {
    runner.withBean(PrivateTools.class).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause().hasMessageContaining(PrivateTools.class.getName())
          .hasMessageContaining("private tool method").hasMessageContaining("runShell")
          .hasMessageContaining("public method of a bean");
    });
  }

  @Test
  void aBeanWhoseToolMethodIsFinalStopsStartupNamingTheMethodAndTheFix() {
    for (Class<?> type : new Class<?>[] {FinalTools.class, FinalUnderClassLevelAirlock.class}) {
      runner.withBean(type).run(context -> {
        assertThat(context).hasFailed();
        assertThat(context.getStartupFailure()).rootCause().hasMessageContaining(type.getName())
            .hasMessageContaining("final").hasMessageContaining("remove final");
      });
    }
  }

  @Test
  void aFinalMethodThatIsNoToolIsLeftAlone() {
    runner.withBean(PlainFinal.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(PlainFinal.class).tool()).isEqualTo("tool");
    });
  }
}
