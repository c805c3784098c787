package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.intercept.AirlockInterceptor;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class AirlockAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class));

  @Test
  void createsConfigPoolsAndInterceptorByDefault() {
    runner.run(context -> {
      assertThat(context).hasSingleBean(AirlockConfig.class).hasSingleBean(AirlockPools.class)
          .hasSingleBean(AirlockInterceptor.class);
    });
  }

  @Test
  void enabledFalseTurnsItOff() {
    runner.withPropertyValues("airlock.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(AirlockConfig.class).doesNotHaveBean(AirlockPools.class));
  }

  @Test
  void bindsEveryCoreKeyAndBackendSections() {
    runner.withPropertyValues("airlock.backend=docker", "airlock.timeout-seconds=7", "airlock.sandbox-required=true",
        "airlock.memory-mb=128", "airlock.cpus=0.5", "airlock.pids-limit=64", "airlock.max-payload-bytes=1000",
        "airlock.max-result-bytes=2000", "airlock.allowed-classes=a.B,c.D", "airlock.pool.min-size=0",
        "airlock.pool.max-size=3", "airlock.pool.idle-timeout-seconds=9", "airlock.pool.reuse=false",
        "airlock.local.isolation=none", "airlock.docker.image=airlock-worker:test").run(context -> {
          AirlockConfig config = context.getBean(AirlockConfig.class);
          assertThat(config.backend()).isEqualTo("docker");
          assertThat(config.timeoutSeconds()).isEqualTo(7);
          assertThat(config.sandboxRequired()).isTrue();
          assertThat(config.memoryMb()).isEqualTo(128);
          assertThat(config.pidsLimit()).isEqualTo(64);
          assertThat(config.backendProperty("airlock.docker.image", null)).isEqualTo("airlock-worker:test");
        });
  }

  @Test
  void invalidValueFailsStartupNamingTheProperty() {
    runner.withPropertyValues("airlock.pool.max-size=0").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("airlock.pool.max-size");
    });
  }

  @Test
  void backsOffWhenTheUserDefinesAConfig() {
    runner.withUserConfiguration(UserConfig.class).run(context ->
        assertThat(context.getBean(AirlockConfig.class).timeoutSeconds()).isEqualTo(3));
  }

  @Configuration
  static class UserConfig {
    @Bean
    AirlockConfig userAirlockConfig() {
      return AirlockConfig.builder().timeoutSeconds(3).build();
    }
  }
}
