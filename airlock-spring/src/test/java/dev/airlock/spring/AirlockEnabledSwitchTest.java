package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.intercept.AirlockInterceptor;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.MapPropertySource;

/**
 * Attack review 9: {@code airlock.enabled} is the one switch that turns every {@code @Airlock} method, those with
 * {@code sandboxRequired} included, into a plain host call. Spring's own binder reads {@code yes}, {@code on} and
 * {@code 1} as true, but the auto-configuration's condition matched only the exact text {@code true}: any other
 * value (those, a typo, a trailing space) switched sandboxing off without a word, and the unknown-key check that
 * guards every other {@code airlock.*} key never ran.
 */
class AirlockEnabledSwitchTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withPropertyValues("airlock.pool.eager=false")
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class,
          AirlockActuatorAutoConfiguration.class));

  @ParameterizedTest
  @ValueSource(strings = {"yes", "on", "1", "ture", "flase", "no", "off", "0", "true ", " false", ""})
  void aValueThatIsNeitherTrueNorFalseStopsStartupNamingTheKey(String value) {
    withEnabled(value).run(context -> assertThat(context).hasFailed()
        .getFailure().hasStackTraceContaining("airlock.enabled").hasStackTraceContaining("true or false"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"true", "TRUE", "True"})
  void trueTurnsItOn(String value) {
    withEnabled(value).run(context -> assertThat(context).hasNotFailed()
        .hasSingleBean(AirlockConfig.class).hasSingleBean(AirlockInterceptor.class).hasBean("airlockAdvisor"));
  }

  /** The value exactly as a properties file keeps it (a trailing space stays), not trimmed as by withPropertyValues. */
  private ApplicationContextRunner withEnabled(String value) {
    return runner.withInitializer(context -> context.getEnvironment().getPropertySources()
        .addFirst(new MapPropertySource("test", Map.of("airlock.enabled", value))));
  }

  @Test
  void missingTurnsItOn() {
    runner.run(context -> assertThat(context).hasNotFailed().hasSingleBean(AirlockInterceptor.class)
        .hasBean("airlockAdvisor"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"false", "FALSE"})
  void falseTurnsItOff(String value) {
    withEnabled(value).run(context -> assertThat(context).hasNotFailed()
        .doesNotHaveBean(AirlockConfig.class).doesNotHaveBean(AirlockInterceptor.class)
        .doesNotHaveBean("airlockAdvisor"));
  }
}
