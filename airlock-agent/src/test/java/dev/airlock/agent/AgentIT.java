package dev.airlock.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.inherited.InheritedTools;
import com.sun.tools.attach.VirtualMachine;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Starts real JVMs with the shaded agent jar and reads what the application printed. */
@Timeout(180)
class AgentIT {
  private static final Path AGENT = Path.of(System.getProperty("airlock.agent.jar"));
  private static final List<String> EXPECTED = List.of("add=42", "where=sandbox", "noop=ok", "twice=[a, a]",
      "sum=6", "checked=java.io.IOException:boom in sandbox", "unchecked=java.lang.NumberFormatException",
      "host=host", "done");

  /** The test classpath without the agent's own classes: they must come from the shaded jar only. */
  private static String appClasspath() {
    List<String> entries = new ArrayList<>();
    for (Path p : WorkerClasspath.ofThisJvm()) {
      String s = p.toString();
      if (!s.endsWith("airlock-agent" + File.separator + "target" + File.separator + "classes")
          && !s.contains("airlock-agent-0.1.0-SNAPSHOT") && !s.endsWith("airlock-agent.jar")) {
        entries.add(s);
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  private static Process start(List<String> jvmArgs, String... appArgs) throws Exception {
    return start("com.example.agentapp.AgentApp", jvmArgs, appArgs);
  }

  private static Process start(String mainClass, List<String> jvmArgs, String... appArgs) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", appClasspath(), mainClass));
    cmd.addAll(List.of(appArgs));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  private static List<String> output(Process app) throws Exception {
    List<String> lines = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        lines.add(line);
      }
    }
    assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return lines;
  }

  @Test
  void premainRoutesEveryMethodShapeIntoTheSandbox() throws Exception {
    Process app = start(List.of("-javaagent:" + AGENT + "=pool.min-size=0,timeout-seconds=30"));
    assertThat(output(app)).containsExactlyElementsOf(EXPECTED);
    assertThat(app.exitValue()).isZero();
  }

  /**
   * Overrides calling the tool body they override with {@code super}, in a real JVM with the agent and a real worker:
   * a host tool's call into a required-sandbox body is refused, and a host tool's override runs its body once; a
   * synchronized host tool runs under its monitor within its timeout.
   * (Before: both recursed into the override until StackOverflowError; AspectJ ran the required body on the host.)
   */
  @Test
  void superCallsIntoToolBodiesNeverRunARequiredBodyOnTheHost() throws Exception {
    Process app = start("com.example.agentapp.SuperCallApp",
        List.of("-javaagent:" + AGENT + "=pool.min-size=0,timeout-seconds=30"));
    assertThat(output(app)).containsExactly("direct=ran ls in sandbox",
        "super=dev.airlock.SandboxUnavailableException", "loud=HELLO ADA ON HOST", "synchronized=2", "done");
  }

  /**
   * Issue 18: the OpenTelemetry java agent and this one in one JVM, both orders. The application behaves exactly as
   * without it, and each tool call is an {@code execute_tool} span, which the OpenTelemetry agent's logging exporter
   * prints (to stderr, through java.util.logging).
   */
  @Test
  void worksWithTheOpenTelemetryJavaAgentAttachedToo() throws Exception {
    String otel = "-javaagent:" + Path.of(System.getProperty("otel.agent.jar"));
    String airlock = "-javaagent:" + AGENT + "=pool.min-size=0,timeout-seconds=30";
    List<String> exporter = List.of("-Dotel.traces.exporter=logging", "-Dotel.metrics.exporter=none",
        "-Dotel.logs.exporter=none", "-Dotel.service.name=agent-app");
    for (List<String> agents : List.of(List.of(otel, airlock), List.of(airlock, otel))) {
      List<String> jvmArgs = new ArrayList<>(agents);
      jvmArgs.addAll(exporter);
      Path stderr = java.nio.file.Files.createTempFile("otel-agent", ".log");
      try {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString()));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", appClasspath(), "com.example.agentapp.AgentApp"));
        Process app = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        assertThat(output(app)).as(agents.toString()).containsExactlyElementsOf(EXPECTED);
        assertThat(app.exitValue()).isZero();
        String log = java.nio.file.Files.readString(stderr);
        assertThat(log).as("the Airlock agent leaves the OpenTelemetry agent's classes alone")
            .doesNotContain("could not instrument");
        assertThat(log).as(agents.toString()).contains("'execute_tool add' : ", "'execute_tool where' : ",
            "'airlock.run' : ", "gen_ai.operation.name=execute_tool", "airlock.sandboxed=true");
      } finally {
        java.nio.file.Files.deleteIfExists(stderr);
      }
    }
  }

  /** Issue 20 item 1: an annotation on an interface, superclass or class governs the methods that inherit it. */
  @Test
  void inheritedAnnotationsAreInstrumentedAndRunInTheSandbox() throws Exception {
    Process app = start(InheritedTools.class.getName(),
        List.of("-javaagent:" + AGENT + "=pool.min-size=0,timeout-seconds=30"));
    List<String> expected = new ArrayList<>();
    InheritedTools.expected().forEach((shape, where) -> expected.add(shape + "=" + where));
    expected.add("done");
    assertThat(output(app)).containsExactlyElementsOf(expected);
  }

  /**
   * The agent's options used to be applied when airlock-core was first reached, by replacing the configuration: an
   * application that had taken {@code AirlockRuntime.pool()} before the eager start saw that pool closed under it
   * ("the pool is closed"). They are system properties from the premain on.
   */
  @Test
  void anApplicationUsingTheRuntimeBeforeTheEagerStartKeepsItsPoolAndSeesTheOptions() throws Exception {
    Process app = start("com.example.agentapp.EarlyRuntimeApp",
        List.of("-javaagent:" + AGENT + "=pool.min-size=1,timeout-seconds=17"));
    assertThat(output(app)).containsExactly("timeout=17", "same-pool=true", "call=sandbox");
  }

  /**
   * The dispatch's one-time work (the proxy class of the interceptor's {@code LocalCall}, the linking of its handle
   * and of any lambda, the agent's classes it loads) is done by the eager start, not by the first call an agent makes
   * after it. Other threads (the pool's launcher, the class-data archive's training) may load classes meanwhile: the
   * log does not say which thread loaded one, so only the dispatch's own kinds are looked for.
   */
  @Test
  void theEagerStartLinksTheDispatchBeforeTheFirstCall() throws Exception {
    Process app = start("com.example.agentapp.FirstCallApp", List.of("-Xlog:class+load=info:stdout",
        "-javaagent:" + AGENT + "=pool.min-size=1,timeout-seconds=30"));
    List<String> lines = output(app);
    assertThat(lines).contains("where=x@sandbox");
    List<String> loadedByTheCall = new ArrayList<>();
    for (String line : lines.subList(lines.indexOf("first-call-starts"), lines.indexOf("first-call-done"))) {
      String[] parts = line.split(" ");
      if (line.contains("[class,load]") && parts.length > 1) {
        loadedByTheCall.add(parts[1]);
      }
    }
    assertThat(loadedByTheCall).as("classes the first call loaded")
        .filteredOn(name -> name.contains("$Proxy") || name.startsWith("dev.airlock.agent.")
            || name.startsWith("dev.airlock.") && name.contains("$$Lambda"))
        .isEmpty();
  }

  /**
   * Issue 15, target 3: the eager start starts the backend (its probe, then its first worker) before it loads the
   * interceptor, guard and audit, which took 100-200 ms of a fresh JVM's start; the pool is made, and its backend's
   * thread started, before the interceptor's class is loaded.
   */
  @Test
  void theEagerStartStartsTheBackendBeforeLoadingTheInterceptor() throws Exception {
    Process app = start("com.example.agentapp.LateCallApp", List.of("-Xlog:class+load=info:stdout",
        "-javaagent:" + AGENT + "=pool.min-size=0,timeout-seconds=30"));
    List<String> lines = output(app);
    assertThat(lines).contains("where=x@sandbox");
    List<String> loaded = new ArrayList<>();
    for (String line : lines) {
      String[] parts = line.split(" ");
      if (line.contains("[class,load]") && parts.length > 1) {
        loaded.add(parts[1]);
      }
    }
    assertThat(loaded).contains("dev.airlock.SandboxPool", "dev.airlock.internal.intercept.AirlockInterceptor");
    assertThat(loaded.indexOf("dev.airlock.SandboxPool")).as("the pool's class loaded before the interceptor's")
        .isLessThan(loaded.indexOf("dev.airlock.internal.intercept.AirlockInterceptor"));
  }

  /** Issue 18: a call that needs approval is suspended under the agent and resumed once, host and sandbox. */
  @Test
  void approvalSuspendsAnInstrumentedCallAndResumeRunsItsBodyOnce() throws Exception {
    Process app = start("com.example.agentapp.ApprovalApp",
        List.of("-javaagent:" + AGENT + "=pool.min-size=0,timeout-seconds=30"));
    assertThat(output(app)).containsExactly("awaiting=send", "sent-before-approval=0", "resumed=sent to bob on the host",
        "again=refused", "sent=1", "awaiting=where", "edited=dave in the sandbox");
  }

  /**
   * A lambda of a required-sandbox tool interface is a hidden class, which the agent is never handed: the class
   * making it is refused (it printed {@code lambda=host x} before), a lambda of a plain interface runs.
   */
  @Test
  void aLambdaImplementingAToolIsRefusedNotRunOnTheHost() throws Exception {
    Process app = start("com.example.agentapp.LambdaApp", List.of("-javaagent:" + AGENT + "=pool.min-size=0"));
    assertThat(output(app)).containsExactly("lambda=refused ClassFormatError", "plain=plain y");
  }

  /**
   * A tool in a package the agent leaves alone by name (the JDK's, Byte Buddy's, Airlock's own) fails to load with
   * the reason and the fix, however it carries {@code @Airlock}; before, each ran its required-sandbox body on the
   * host. A class there without it loads.
   */
  @Test
  void toolsInPackagesTheAgentLeavesAloneAreRefusedNotRunOnTheHost() throws Exception {
    Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-javaagent:" + AGENT + "=pool.min-size=0", "-cp", appClasspath(), "com.example.agentapp.SkippedPackageApp")
        .redirectErrorStream(true).start();
    List<String> lines = output(app);
    assertThat(lines).contains("com.sun.airlocktest.ShellTool=refused ClassFormatError",
        "dev.airlock.spi.airlocktest.ClassLevelTool=refused ClassFormatError",
        "net.bytebuddy.airlocktest.InheritedTool=refused ClassFormatError", "plain=plain y");
    assertThat(String.join("\n", lines)).contains("refuses to define com.sun.airlocktest.ShellTool: it declares or "
        + "inherits @Airlock tools, but the agent does not rewrite classes in the package com.sun.airlocktest")
        .contains("move the tool class to a package of your own")
        .contains("refuses to define net.bytebuddy.airlocktest.InheritedTool");
  }

  @Test
  void attachingAtRunTimeRetransformsLoadedClasses() throws Exception {
    Process app = start(List.of(), "wait");
    BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8));
    String ready = out.readLine();
    assertThat(ready).startsWith("ready ");
    VirtualMachine vm = VirtualMachine.attach(ready.substring("ready ".length()));
    try {
      vm.loadAgent(AGENT.toString(), "pool.min-size=0");
    } finally {
      vm.detach();
    }
    try (Writer in = new OutputStreamWriter(app.getOutputStream(), StandardCharsets.UTF_8)) {
      in.write("go\n");
    }
    List<String> lines = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      lines.add(line);
    }
    assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(lines).containsExactlyElementsOf(EXPECTED);
  }

  @Test
  void coexistsWithAnApplicationsOwnByteBuddyThroughMockito() throws Exception {
    Process app = start(List.of("-javaagent:" + AGENT + "=pool.min-size=0"), "mockito");
    List<String> lines = output(app);
    assertThat(lines).first().isEqualTo("mock=ok");
    assertThat(lines.subList(1, lines.size())).containsExactlyElementsOf(EXPECTED);
  }

  @Test
  void badOptionsAreRefusedWithTheFix() throws Exception {
    Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-javaagent:" + AGENT + "=timeout", "-cp", appClasspath(), "com.example.agentapp.AgentApp")
        .redirectErrorStream(true).start();
    String all = String.join("\n", output(app));
    assertThat(app.exitValue()).isNotZero();
    assertThat(all).contains("not key=value").contains("timeout-seconds=30");
  }
}
