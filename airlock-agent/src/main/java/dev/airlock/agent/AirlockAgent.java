package dev.airlock.agent;

import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.not;

import java.lang.instrument.Instrumentation;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * {@code -javaagent:airlock-agent.jar[=backend=local,timeout-seconds=30]}: routes every method an {@code @Airlock}
 * governs (on the method, on a method it overrides or implements, or on its class: see {@link ToolMatchers})
 * through Airlock's interceptor. Also attachable to a running JVM; classes already loaded are retransformed.
 */
public final class AirlockAgent {
  static final String ANNOTATION = "dev.airlock.annotation.Airlock";

  private AirlockAgent() {
  }

  public static void premain(String options, Instrumentation instrumentation) {
    install(options, instrumentation);
  }

  public static void agentmain(String options, Instrumentation instrumentation) {
    install(options, instrumentation);
  }

  static synchronized void install(String options, Instrumentation instrumentation) {
    AgentDispatch.options(AgentOptions.parse(options));
    // Built once: Advice.to reads and resolves the advice class, which took part of every tool class's load.
    AsmVisitorWrapper advice = Advice.to(AirlockAdvice.class).on(ToolMatchers.tools(ANNOTATION));
    // A tool class's load runs this transformation on the caller's thread (profiled with JFR: 3-9 ms a class, most
    // of it re-reading the JDK's class files, resolving Object's methods and validating the redefined type): the
    // advice only rewrites declared methods, so neither the inherited method graph nor the validation is needed, and
    // type descriptions are kept per class loader between classes.
    new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED)
        .with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE))
        .with(new TypePoolPerLoader())
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
        .with(AgentBuilder.TypeStrategy.Default.REDEFINE)
        .with(new AgentLog.Listener())
        .ignore(ignored())
        .type(ToolMatchers.mayDeclareTools(ANNOTATION))
        .transform((builder, type, loader, module, domain) -> builder.visit(advice))
        .installOn(instrumentation);
    AgentLog.info("Airlock agent installed; @Airlock methods go through the interceptor");
    // Off the application's start: its main runs while the backend probes and the first workers start.
    Thread eager = new Thread(AgentDispatch::eagerStart, "airlock-agent-eager-start");
    eager.setDaemon(true);
    eager.start();
  }

  /**
   * JDK, Byte Buddy and Airlock's own classes are never instrumented; samples and tests of Airlock are. Nor are the
   * OpenTelemetry java agent's own (shaded) classes: attached first, its classes are already loaded when this agent
   * retransforms, and the types they name are in its own loader, which Byte Buddy cannot resolve from here.
   */
  private static ElementMatcher.Junction<TypeDescription> ignored() {
    return nameStartsWith("java.").or(nameStartsWith("javax.")).or(nameStartsWith("jdk."))
        .or(nameStartsWith("sun.")).or(nameStartsWith("com.sun."))
        .or(nameStartsWith("net.bytebuddy.")).or(nameStartsWith("dev.airlock.agent."))
        .or(nameStartsWith("io.opentelemetry.javaagent."))
        .or(nameStartsWith("dev.airlock.").and(not(nameStartsWith("dev.airlock.samples."))));
  }
}
