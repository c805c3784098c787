package dev.airlock.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.supercall.SuperCalls;
import dev.airlock.AirlockException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.demo.DemoTools;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An override of a tool method calling the body it overrides with {@code super}: the prologue in front of that body
 * is reached with a receiver whose class overrides it.
 */
class SuperCallTest {
  private final ToolTransformer transformer = ToolTransformer.make(new ToolCandidates(), null);

  /**
   * A host tool overriding a tool whose sandbox is required, and calling it with {@code super} (a library's
   * {@code ShellTool}, the application's logging subclass): the overridden body must not run on the host. The call
   * is refused, naming both methods. (Before: the agent re-dispatched the body virtually, to the override, until
   * StackOverflowError; run exactly, it ran the required body on the host, as the AspectJ aspect did.)
   */
  @Test
  void aHostToolsSuperCallIntoARequiredBodyIsRefused() throws Throwable {
    ClassLoader loader = rewritten(SuperCalls.class, SuperCalls.ShellTool.class, SuperCalls.LoggingShellTool.class);
    Class<?> calls = Class.forName(SuperCalls.class.getName(), true, loader);
    Object tool = Class.forName(SuperCalls.LoggingShellTool.class.getName(), true, loader).getConstructor()
        .newInstance();
    assertThatThrownBy(() -> call(tool, "run", "rm -rf /")).isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("ShellTool.run requires a sandbox").hasMessageContaining("LoggingShellTool.run");
    assertThat(calls.getField("hostRuns").getInt(null)).as("the required body's runs on the host").isZero();
  }

  /**
   * Attack review 35: the same with a sandboxed body that is not required ({@code @Airlock(sandbox = true)}), which
   * runs on the host only when no sandbox can be had, under a warning and counted as a fallback. The host tool's
   * super call ran it on the host silently, sandboxes available or not (checked with a real worker: {@code
   * override>sbxbody:HOST}). Refused now, naming both methods.
   */
  @Test
  void aHostToolsSuperCallIntoASandboxedBodyIsRefused() throws Throwable {
    ClassLoader loader = rewritten(SuperCalls.class, SuperCalls.FetchTool.class, SuperCalls.LoggingFetchTool.class);
    Class<?> calls = Class.forName(SuperCalls.class.getName(), true, loader);
    Object tool = Class.forName(SuperCalls.LoggingFetchTool.class.getName(), true, loader).getConstructor()
        .newInstance();
    assertThatThrownBy(() -> call(tool, "fetch", "http://169.254.169.254/")).isInstanceOf(
        SandboxUnavailableException.class).hasMessageContaining("FetchTool.fetch runs in a sandbox")
        .hasMessageContaining("LoggingFetchTool.fetch");
    assertThat(calls.getField("hostRuns").getInt(null)).as("the sandboxed body's runs on the host").isZero();
  }

  /**
   * A host tool's override (governed by the annotation it inherits) calling the body it overrides: the body runs
   * once, on the host, as the tool's own. (Before: proceeding called the overridden method through
   * {@code Method.invoke}, which dispatched to the override again, until StackOverflowError.)
   */
  @Test
  void anOverrideCallingTheHostToolItOverridesRunsItsBodyOnce() throws Throwable {
    ClassLoader loader = rewritten(SuperCalls.class, SuperCalls.Greeter.class, SuperCalls.LoudGreeter.class);
    Class<?> calls = Class.forName(SuperCalls.class.getName(), true, loader);
    Object tool = Class.forName(SuperCalls.LoudGreeter.class.getName(), true, loader).getConstructor()
        .newInstance();
    assertThat(call(tool, "greet", "ada")).isEqualTo("HELLO ADA");
    assertThat(calls.getField("hostRuns").getInt(null)).isOne();
    Object plain = Class.forName(SuperCalls.Greeter.class.getName(), true, loader).getConstructor().newInstance();
    assertThat(call(plain, "greet", "bo")).isEqualTo("hello bo");
    assertThat(calls.getField("hostRuns").getInt(null)).isEqualTo(2);
    ClassLoader withDefault = rewritten(SuperCalls.class, SuperCalls.Hello.class, SuperCalls.LoudHello.class);
    Object hello = Class.forName(SuperCalls.LoudHello.class.getName(), true, withDefault).getConstructor()
        .newInstance();
    assertThat(call(hello, "hello", "ada")).as("through Tool.super, a default method").isEqualTo("HI ADA");
  }

  /**
   * A tool class of the application in a package under {@code dev.airlock} that is none of Airlock's modules goes
   * through the agent's filter and rewriting like any other. (Before: the agent left every {@code dev.airlock.} class
   * alone but the samples, and the tool ran on the host unintercepted.)
   */
  @Test
  void aToolInAnApplicationPackageUnderDevAirlockIsIntercepted() throws Throwable {
    ToolClassFilter filter = new ToolClassFilter("test", null);
    java.util.concurrent.CountDownLatch built = new java.util.concurrent.CountDownLatch(1);
    filter.buildInBackground(built::countDown);
    built.await();
    byte[] original = bytes(DemoTools.class);
    byte[] rewritten = filter.transform(null, DemoTools.class.getClassLoader(), "dev/airlock/demo/DemoTools", null,
        null, original);
    assertThat(rewritten).as("the filter's answer").isNotNull();
    ClassLoader loader = definer(Map.of(DemoTools.class.getName(), rewritten));
    Class<?> type = Class.forName(DemoTools.class.getName(), true, loader);
    Object tool = type.getConstructor().newInstance();
    try {
      assertThat(call(tool, "run", "ls")).isEqualTo("ran ls");
    } catch (AirlockException refused) {
      // No sandbox here: a required one refuses the call.
    }
    assertThat(type.getField("hostRuns").getInt(null)).as("runs on the host").isZero();
  }

  /**
   * A final tool method called on Spring's CGLIB proxy of its bean (which cannot override it) runs on the proxy
   * itself: the call's receiver is the bean behind it, whose state is the tool's. (Before: the proxy, whose fields
   * are empty, was the receiver: a host tool saw {@code state=null}, a sandboxed call tried to ship the proxy's
   * advice chain and was refused.)
   */
  @Test
  void aFinalToolCalledOnASpringProxyRunsOnTheBeanBehindIt() throws Throwable {
    ClassLoader loader = rewritten(com.example.springproxy.FinalTools.class,
        com.example.springproxy.FinalTools.Proxy.class, com.example.springproxy.FinalTools.Fixed.class);
    Class<?> tools = Class.forName(com.example.springproxy.FinalTools.class.getName(), true, loader);
    Object bean = tools.getConstructor().newInstance();
    Object proxy = Class.forName(com.example.springproxy.FinalTools.Proxy.class.getName(), true, loader)
        .getConstructor(tools).newInstance(bean);
    assertThat(tools.getMethod("where").invoke(proxy)).isEqualTo("state=bean");
  }

  /**
   * A final tool reached on a proxy whose target source is not static (a scoped bean's, a prototype's) runs on the
   * bean that source hands out for the call, which is handed back after; on a proxy of a proxy (a scoped proxy in
   * front of a proxied bean) it runs on the bean at the end. (Before: both ran on a proxy's empty fields,
   * {@code state=null}.)
   */
  @Test
  void aFinalToolCalledOnAProxyOfAPerCallOrProxiedTargetRunsOnTheBeanAtTheEnd() throws Throwable {
    ClassLoader loader = rewritten(com.example.springproxy.FinalTools.class,
        com.example.springproxy.FinalTools.Proxy.class, com.example.springproxy.FinalTools.Fixed.class,
        com.example.springproxy.FinalTools.PerCall.class);
    Class<?> tools = Class.forName(com.example.springproxy.FinalTools.class.getName(), true, loader);
    Class<?> proxyType = Class.forName(com.example.springproxy.FinalTools.Proxy.class.getName(), true, loader);
    Class<?> perCallType = Class.forName(com.example.springproxy.FinalTools.PerCall.class.getName(), true, loader);
    Class<?> sourceType = Class.forName("org.springframework.aop.TargetSource", true, loader);
    Object perCall = perCallType.getConstructor().newInstance();
    Object scoped = proxyType.getConstructor(sourceType).newInstance(perCall);
    assertThat(tools.getMethod("where").invoke(scoped)).isEqualTo("state=call 1");
    assertThat(tools.getMethod("where").invoke(scoped)).isEqualTo("state=call 2");
    assertThat(perCallType.getField("released").getInt(perCall)).isEqualTo(2);

    Object bean = tools.getConstructor().newInstance();
    Object inner = proxyType.getConstructor(tools).newInstance(bean);
    Object outer = proxyType.getConstructor(tools).newInstance(inner);
    assertThat(tools.getMethod("where").invoke(outer)).isEqualTo("state=bean");
  }

  private ClassLoader rewritten(Class<?>... types) throws IOException {
    Map<String, byte[]> classes = new HashMap<>();
    for (Class<?> type : types) {
      String internal = type.getName().replace('.', '/');
      byte[] original = bytes(type);
      byte[] out = transformer.transform(null, type.getClassLoader(), internal, null, null, original);
      classes.put(type.getName(), out != null ? out : original);
    }
    return definer(classes);
  }

  private ClassLoader definer(Map<String, byte[]> classes) {
    return new DefiningLoader(getClass().getClassLoader(), classes);
  }

  private static byte[] bytes(Class<?> type) throws IOException {
    try (InputStream in = type.getClassLoader().getResourceAsStream(type.getName().replace('.', '/') + ".class")) {
      return in.readAllBytes();
    }
  }

  private static Object call(Object tool, String name, Object... args) throws Throwable {
    try {
      return tool.getClass().getMethod(name, String.class).invoke(tool, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
