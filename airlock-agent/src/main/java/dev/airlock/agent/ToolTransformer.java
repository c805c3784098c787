package dev.airlock.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.implementation.Implementation;

/**
 * Byte Buddy's rewriting of a class that {@link ToolClassFilter} hands over: every method an {@code @Airlock} governs
 * gets {@link AirlockAdvice} inlined. Only this class loads Byte Buddy. It uses Byte Buddy's type pool, advice and
 * redefinition directly, not its {@code AgentBuilder}: building an {@code AgentBuilder} cost 190-200 ms of CPU
 * before the first tool class could load (of 450 ms for all of Byte Buddy), for machinery this agent does not use.
 */
final class ToolTransformer implements ClassFileTransformer {
  /**
   * A class made at run time from {@link WarmUpSample}'s class file, never defined: its name is outside the agent's
   * own package (which is never instrumented) and its marker annotation becomes {@code @Airlock} (same lengths).
   */
  static final String WARM_UP_CLASS = "airlock/warm/up/x/WarmUpSample";
  /** A class being rewritten on this thread: a class loaded meanwhile is left alone, as Byte Buddy's agent does. */
  private static final ThreadLocal<Boolean> REWRITING = new ThreadLocal<>();

  /**
   * The advice only rewrites declared methods and adds no member, so neither the inherited method graph, nor the
   * validation of the redefined type, nor an implementation context is needed (profiled with JFR: most of a tool
   * class's 3-9 ms went to re-reading the JDK's class files, resolving Object's methods and validating).
   */
  private final ByteBuddy byteBuddy = new ByteBuddy().with(TypeValidation.DISABLED)
      .with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE)
      .with(Implementation.Context.Disabled.Factory.INSTANCE);
  /** Built once: Advice.to reads and resolves the advice class, which took part of every tool class's load. */
  private final AsmVisitorWrapper advice = Advice.to(AirlockAdvice.class)
      .on(ToolMatchers.tools(AirlockAgent.ANNOTATION));
  private final AgentBuilder.RawMatcher mayDeclareTools = ToolMatchers.mayDeclareTools(AirlockAgent.ANNOTATION);
  private final TypePoolPerLoader pools = new TypePoolPerLoader();

  private ToolTransformer() {
  }

  /**
   * The transformer, after one rewriting of a made-up tool class, so that the first real tool class does not wait
   * for Byte Buddy's first use (its type pool, the matchers, the advice's weaving: 45-90 ms on a fresh JVM).
   */
  static ToolTransformer make() {
    ToolTransformer transformer = new ToolTransformer();
    transformer.warmUp();
    return transformer;
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String internalName, Class<?> redefined,
      ProtectionDomain domain, byte[] bytes) {
    if (internalName == null || REWRITING.get() != null) {
      return null;
    }
    String name = internalName.replace('/', '.');
    if (ToolCandidates.ignored(name)) {
      return null;
    }
    REWRITING.set(Boolean.TRUE);
    try {
      ClassFileLocator locator = new ClassFileLocator.Compound(ClassFileLocator.Simple.of(name, bytes),
          ClassFileLocator.ForClassLoader.of(loader));
      TypeDescription type = pools.typePool(locator, loader, name).describe(name).resolve();
      if (!mayDeclareTools.matches(type, loader, null, redefined, domain)) {
        return null;
      }
      byte[] rewritten = byteBuddy.redefine(type, locator).visit(advice).make().getBytes();
      if (!internalName.equals(WARM_UP_CLASS)) {
        AgentLog.debug("Airlock agent instrumented " + name);
      }
      return rewritten;
    } catch (Throwable e) {
      // Never break class loading: the class loads as it is, as with Byte Buddy's agent before.
      AgentLog.warn("Airlock agent could not instrument " + name, e);
      return null;
    } finally {
      REWRITING.remove();
    }
  }

  /**
   * Rewrites the made-up tool class as the system class loader would see it, when that loader sees {@code @Airlock}
   * (else the type pool could not resolve the annotation, and a Spring Boot jar's loader is not there yet). What it
   * costs is paid here, on the agent's own thread; the result is dropped.
   */
  private void warmUp() {
    ClassLoader system = ClassLoader.getSystemClassLoader();
    if (system.getResource(AirlockAgent.ANNOTATION.replace('.', '/') + ".class") == null) {
      return;
    }
    try (InputStream in = WarmUpSample.class.getResourceAsStream("WarmUpSample.class")) {
      byte[] bytes = replace(replace(in.readAllBytes(), WarmUpSample.MARKER, "L" + AirlockAgent.ANNOTATION
          .replace('.', '/') + ";"), WarmUpSample.class.getName().replace('.', '/'), WARM_UP_CLASS);
      transform(system.getUnnamedModule(), system, WARM_UP_CLASS, null, null, bytes);
    } catch (IOException | RuntimeException e) {
      AgentLog.warn("Airlock agent: warm-up rewriting failed; the first tool class pays Byte Buddy's first use", e);
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
