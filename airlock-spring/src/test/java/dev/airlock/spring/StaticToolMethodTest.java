package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import dev.airlock.spring.nostatictool.ClassLevelTools;
import dev.airlock.spring.statictool.LooseShellTools;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;

/**
 * Attack review (left open, fixed in this round): Spring's proxy reaches instance methods of beans only, so a
 * {@code static} method carrying its own {@code @Airlock(sandbox = true, sandboxRequired = true)} ran its body on the
 * host when called ({@code ShellTools.run("id")} answered "ran on the HOST"), with no policy, sandbox or audit, and
 * nothing said so. Startup now fails, naming the class, the method and the fix, whether the class is a bean or only
 * lies in one of the application's packages.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StaticToolMethodTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class))
      .withPropertyValues("airlock.pool.min-size=0", "airlock.pool.max-size=1");

  public static class ShellTools {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public static String run(String command) {
      return command + " ran " + (AirlockRuntime.isSandboxed() ? "sandboxed" : "on the HOST");
    }
  }

  /** The static tool is declared by the bean's superclass: {@code MoreShellTools.run(...)} is the same method. */
  public static class MoreShellTools extends ShellTools {
  }

  /** The application's own packages, as {@code @SpringBootApplication} records them: here, a static tool's. */
  @Configuration(proxyBeanMethods = false)
  @AutoConfigurationPackage(basePackageClasses = LooseShellTools.class)
  static class LooseToolApplication {
  }

  /** An application whose package holds a class-level tool with a static helper, and no static tool. */
  @Configuration(proxyBeanMethods = false)
  @AutoConfigurationPackage(basePackageClasses = ClassLevelTools.class)
  static class NoStaticToolApplication {
  }

  @Test
  void aBeanWithAStaticToolMethodStopsStartupNamingTheMethodAndTheFix() {
    for (Class<?> bean : new Class<?>[] {ShellTools.class, MoreShellTools.class}) {
      runner.withBean(bean).run(context -> {
        assertThat(context).as(bean.getSimpleName()).hasFailed();
        assertThat(refusal(context.getStartupFailure(), ShellTools.class)).hasMessageContaining(bean.getName());
      });
    }
  }

  @Test
  void aStaticToolOfAClassThatIsNoBeanInTheApplicationsPackagesStopsStartup() {
    runner.withUserConfiguration(LooseToolApplication.class).run(context -> {
      assertThat(context).hasFailed();
      assertThat(refusal(context.getStartupFailure(), LooseShellTools.class))
          .hasMessageContaining("application's packages");
    });
  }

  /** The check's exception (a bean's failure wraps it), naming {@code declaring.run(String)} and the fix. */
  private static Throwable refusal(Throwable startupFailure, Class<?> declaring) {
    Throwable refusal = NestedExceptionUtils.getMostSpecificCause(startupFailure);
    assertThat(refusal).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(declaring.getName() + ".run(java.lang.String)").hasMessageContaining("static tool")
        .hasMessageContaining("java agent or AspectJ weaving").hasMessageContaining("instance method of a bean");
    return refusal;
  }

  /** A class-level {@code @Airlock} governs no static method: its static helper is no tool, and nothing stops. */
  @Test
  void aStaticMethodWithoutItsOwnAirlockOnAClassLevelToolBeanIsLeftAlone() {
    runner.withUserConfiguration(NoStaticToolApplication.class).withBean(ClassLevelTools.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(ClassLevelTools.helper()).isEqualTo("helper");
    });
  }

  @Test
  void anApplicationWithNoStaticToolStartsAndItsToolsRunInTheSandbox() {
    runner.withUserConfiguration(NoStaticToolApplication.class).withBean(ClassLevelTools.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(ClassLevelTools.class).where()).isEqualTo("sandbox");
    });
  }
}
