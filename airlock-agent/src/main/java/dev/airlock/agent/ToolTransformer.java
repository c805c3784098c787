package dev.airlock.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The Byte Buddy transformation that routes every method an {@code @Airlock} governs through the interceptor. Only
 * this class and those it reaches load Byte Buddy, so a premain that does not call it loads none of it.
 */
final class ToolTransformer {
  /**
   * A class made at run time from {@link WarmUpSample}'s class file, never defined: its name is outside the agent's
   * own package (which is never instrumented) and its marker annotation becomes {@code @Airlock} (same lengths).
   */
  static final String WARM_UP_CLASS = "airlock/warm/up/x/WarmUpSample";

  private ToolTransformer() {
  }

  /** Installs the transformation, retransforming the classes already loaded (attach, or classes loaded early). */
  static void installOn(Instrumentation instrumentation) {
    builder().with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION).installOn(instrumentation);
  }

  /**
   * The transformation as a plain transformer for {@link ToolClassFilter} to call, after one transformation of a
   * made-up tool class, so that the first real tool class does not wait for Byte Buddy's first use (its type pool,
   * the matchers, the advice's weaving: 45-90 ms measured on a fresh JVM).
   */
  static ClassFileTransformer make() {
    ClassFileTransformer transformer = builder().makeRaw();
    warmUp(transformer);
    return transformer;
  }

  private static AgentBuilder builder() {
    // Built once: Advice.to reads and resolves the advice class, which took part of every tool class's load.
    AsmVisitorWrapper advice = Advice.to(AirlockAdvice.class).on(ToolMatchers.tools(AirlockAgent.ANNOTATION));
    // A tool class's load runs this transformation on the caller's thread (profiled with JFR: 3-9 ms a class, most
    // of it re-reading the JDK's class files, resolving Object's methods and validating the redefined type): the
    // advice only rewrites declared methods, so neither the inherited method graph nor the validation is needed, and
    // type descriptions are kept per class loader between classes.
    return new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED)
        .with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE))
        .with(new TypePoolPerLoader())
        .disableClassFormatChanges()
        .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
        .with(AgentBuilder.TypeStrategy.Default.REDEFINE)
        .with(new AgentLog.Listener())
        .ignore(new ElementMatcher.Junction.AbstractBase<TypeDescription>() {
          @Override
          public boolean matches(TypeDescription type) {
            return ToolCandidates.ignored(type.getName());
          }
        })
        .type(ToolMatchers.mayDeclareTools(AirlockAgent.ANNOTATION))
        .transform((builder, type, loader, module, domain) -> builder.visit(advice));
  }

  /**
   * Transforms the made-up tool class as the system class loader would see it, when that loader sees {@code @Airlock}
   * (else the type pool could not resolve the annotation, and a Spring Boot jar's loader is not there yet). What it
   * costs is paid here, on the agent's own thread; the result is dropped.
   */
  private static void warmUp(ClassFileTransformer transformer) {
    ClassLoader system = ClassLoader.getSystemClassLoader();
    if (system.getResource(AirlockAgent.ANNOTATION.replace('.', '/') + ".class") == null) {
      return;
    }
    try (InputStream in = WarmUpSample.class.getResourceAsStream("WarmUpSample.class")) {
      byte[] bytes = replace(replace(in.readAllBytes(), WarmUpSample.MARKER, "L" + AirlockAgent.ANNOTATION
          .replace('.', '/') + ";"), WarmUpSample.class.getName().replace('.', '/'), WARM_UP_CLASS);
      transformer.transform(system.getUnnamedModule(), system, WARM_UP_CLASS, null, null, bytes);
    } catch (IOException | RuntimeException | java.lang.instrument.IllegalClassFormatException e) {
      AgentLog.warn("Airlock agent: warm-up transformation failed; the first tool class pays Byte Buddy's first use",
          e);
    }
  }

  /** {@code bytes} with every occurrence of {@code from} replaced by {@code to}, of the same length. */
  private static byte[] replace(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.US_ASCII);
    byte[] t = to.getBytes(StandardCharsets.US_ASCII);
    if (f.length != t.length) {
      throw new IllegalStateException(from + " and " + to + " differ in length");
    }
    for (int i = 0; i + f.length <= bytes.length; i++) {
      int j = 0;
      while (j < f.length && bytes[i + j] == f[j]) {
        j++;
      }
      if (j == f.length) {
        System.arraycopy(t, 0, bytes, i, t.length);
      }
    }
    return bytes;
  }
}
