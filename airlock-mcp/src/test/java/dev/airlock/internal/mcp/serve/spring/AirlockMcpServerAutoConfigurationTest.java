package dev.airlock.internal.mcp.serve.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.annotation.Airlock;
import dev.airlock.internal.mcp.serve.ServedTool;
import dev.airlock.internal.mcp.serve.ToolServer;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Which beans the property switch serves, and that it is off unless switched on. */
class AirlockMcpServerAutoConfigurationTest {
  /** A tool bean. */
  public static class Clock {
    @Airlock
    public String now() {
      return "now";
    }
  }

  /** Not a tool bean. */
  public static class Helper {
    public String help() {
      return "help";
    }
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockMcpServerAutoConfiguration.class))
      .withBean(Helper.class)
      .withBean("clock", Clock.class, () -> {
        // A Spring proxy, as airlock-spring's advisor makes: the server serves (and ships) the bean behind it.
        ProxyFactory proxy = new ProxyFactory(new Clock());
        proxy.setProxyTargetClass(true);
        return (Clock) proxy.getProxy();
      });

  @Test
  void offUnlessSwitchedOn() {
    runner.run(context -> assertThat(context).doesNotHaveBean(ToolServer.class));
  }

  @Test
  void servesTheBeansWithAirlockMethodsBehindTheirProxies() {
    runner.withPropertyValues("airlock.mcp.server.enabled=true").run(context -> {
      ToolServer server = context.getBean(ToolServer.class);
      assertThat(server.tools()).extracting(ServedTool::name).containsExactly("now");
      assertThat(server.tools().get(0).call(null).content().toString()).contains("now");
    });
  }

  @Test
  void switchedOnWithoutToolsFailsNamingTheFix() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(AirlockMcpServerAutoConfiguration.class))
        .withBean(Helper.class).withPropertyValues("airlock.mcp.server.enabled=true")
        .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("no bean has an @Airlock method"));
  }
}
