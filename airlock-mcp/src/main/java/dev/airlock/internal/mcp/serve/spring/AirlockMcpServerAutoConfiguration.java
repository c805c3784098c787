package dev.airlock.internal.mcp.serve.spring;

import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.internal.intercept.EffectiveAirlock;
import dev.airlock.internal.mcp.serve.ToolServer;
import jakarta.servlet.http.HttpServlet;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/**
 * {@code airlock.mcp.server.enabled=true} serves every bean that has {@code @Airlock} methods as MCP tools, through
 * the same interceptor as every other {@code @Airlock} call: over streamable HTTP at {@code airlock.mcp.server.path}
 * on the application's servlet container, or over stdio ({@code airlock.mcp.server.transport=stdio}). With
 * airlock-spring, that is its interceptor, configured by the application's {@code airlock.*} properties (policies
 * included); without it, the shared one of {@code AirlockRuntime}.
 */
@AutoConfiguration(afterName = "dev.airlock.spring.AirlockAutoConfiguration")
@ConditionalOnProperty(prefix = "airlock.mcp.server", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(McpServerProperties.class)
public class AirlockMcpServerAutoConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(AirlockMcpServerAutoConfiguration.class);

  @Bean
  ToolServer airlockMcpToolServer(ApplicationContext context, McpServerProperties properties,
      ObjectProvider<AirlockInterceptor> interceptor) {
    List<Object> targets = new ArrayList<>();
    for (String name : context.getBeanDefinitionNames()) {
      Class<?> type = context.getType(name, false);
      if (type != null && hasTools(ClassUtils.getUserClass(type))) {
        targets.add(target(context.getBean(name)));
      }
    }
    if (targets.isEmpty()) {
      throw new IllegalStateException("airlock.mcp.server.enabled=true, but no bean has an @Airlock method to "
          + "serve. Annotate the tool methods of a bean, or turn the MCP server off");
    }
    ToolServer server = new ToolServer(properties.name(), properties.version(), targets,
        interceptor.getIfAvailable(AirlockInterceptor::shared),
        properties.maxMessageBytes());
    LOG.info("Airlock MCP server: {} tools of {} beans ({})", server.tools().size(), targets.size(),
        properties.transport() == McpServerProperties.Transport.HTTP ? "streamable HTTP at " + properties.path()
            : "stdio");
    return server;
  }

  private static boolean hasTools(Class<?> type) {
    return Arrays.stream(type.getMethods()).anyMatch(method -> method.getDeclaringClass() != Object.class
        && EffectiveAirlock.governs(type, method));
  }

  /** The object behind Spring's proxies: what a sandboxed call ships, and what the interceptor resolves against. */
  private static Object target(Object bean) {
    Object target = bean;
    for (Object inner = AopProxyUtils.getSingletonTarget(target); inner != null;
        inner = AopProxyUtils.getSingletonTarget(target)) {
      target = inner;
    }
    return target;
  }

  /** Streamable HTTP on the application's own servlet container. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnProperty(prefix = "airlock.mcp.server", name = "transport", havingValue = "http",
      matchIfMissing = true)
  static class Http {
    @Bean
    ServletRegistrationBean<HttpServlet> airlockMcpServlet(ToolServer server, McpServerProperties properties) {
      ServletRegistrationBean<HttpServlet> registration = new ServletRegistrationBean<>(
          server.httpServlet(properties.path(), false, properties.maxSessions()), properties.path());
      registration.setName("airlockMcp");
      registration.setAsyncSupported(true);
      return registration;
    }
  }

  /**
   * Stdio: the process's standard input and output carry the protocol, so the application must log elsewhere
   * ({@code logging.pattern.console=} and {@code spring.main.banner-mode=off}); {@code System.out} is redirected to
   * standard error while serving. The application exits when the client closes its side.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "airlock.mcp.server", name = "transport", havingValue = "stdio")
  static class Stdio {
    @Bean
    SmartLifecycle airlockMcpStdio(ToolServer server, ApplicationContext context) {
      return new StdioLifecycle(server, context);
    }
  }

  private static final class StdioLifecycle implements SmartLifecycle {
    private final ToolServer server;
    private final ApplicationContext context;
    private volatile Thread serving;

    StdioLifecycle(ToolServer server, ApplicationContext context) {
      this.server = server;
      this.context = context;
    }

    @Override
    public void start() {
      FileOutputStream protocol = new FileOutputStream(FileDescriptor.out);
      System.setOut(System.err);
      serving = new Thread(() -> {
        try {
          server.stdio(System.in, protocol).awaitEnd();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        System.exit(SpringApplication.exit(context));
      }, "airlock-mcp-stdio");
      serving.start();
    }

    @Override
    public void stop() {
      Thread thread = serving;
      serving = null;
      if (thread != null && thread != Thread.currentThread()) {
        thread.interrupt();
      }
    }

    @Override
    public boolean isRunning() {
      return serving != null;
    }
  }
}
