package dev.airlock.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.IllegalClassFormatException;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import java.util.concurrent.CountDownLatch;

/**
 * What the premain registers: a transformer of the JDK's types only, which lets every class through untouched
 * unless {@link ToolCandidates} says it may hold a tool, and hands those to {@link ToolTransformer}, built meanwhile
 * on a thread of its own ({@link #buildInBackground}). A candidate that comes before it is built waits for it, and
 * one it cannot rewrite is refused, so no tool class is ever defined without its interception: its methods never
 * run on the host because the agent was still starting or its rewriting failed. (When the premain installed Byte
 * Buddy itself, {@code main} was reached 0.4-0.7 s later on the 2-core machine.) Attached to a running JVM, it is
 * built at once and the candidates already loaded are retransformed ({@link #installNow}). A class it leaves alone by
 * name ({@link ToolCandidates#ignored}) that holds a tool by the same rule is refused, never defined unintercepted.
 *
 * <p>A held class cannot block the build: until it is released the build thread loads only the JDK's classes and the
 * agent jar's (through the system class loader, which locks per class name); its log line, whose SLF4J may load the
 * application's logging classes, comes after.
 */
final class ToolClassFilter implements ClassFileTransformer {
  /**
   * Fail closed: a class file the JVM cannot parse (its magic number is wrong), so defining the class throws
   * ClassFormatError and a tool's body cannot run unsandboxed. Not an empty one: the JVM takes an empty answer of a
   * transformer (JVMTI allocates no buffer for it) as no change, and the class loaded unintercepted.
   */
  static final byte[] REFUSED = "Airlock refused".getBytes(StandardCharsets.US_ASCII);
  private final ToolCandidates candidates = new ToolCandidates();
  private final String installed;
  private final ToolPreparation preparation;
  private final CountDownLatch built = new CountDownLatch(1);
  /** The rewriting once built; null after {@link #built} when it could not be. */
  private volatile ToolTransformer tools;
  private volatile Throwable failure;

  /**
   * {@code installed} is logged once the transformation is built (SLF4J's start stays off the premain too);
   * {@code preparation}, null in tests that define nothing, is told of each tool class defined.
   */
  ToolClassFilter(String installed, ToolPreparation preparation) {
    this.installed = installed;
    this.preparation = preparation;
  }

  /**
   * Builds the transformation on this thread, registers the filter and retransforms the candidates already loaded:
   * for an agent attached to a running JVM, or a premain that finds application classes loaded before it.
   */
  static void installNow(Instrumentation instrumentation, String installed) {
    ToolClassFilter filter = new ToolClassFilter(installed, new ToolPreparation(instrumentation));
    filter.build();
    if (filter.tools == null) {
      // As a premain that threw: the JVM does not start, an attach fails; nothing runs without the advice.
      throw new IllegalStateException("Airlock agent could not build its transformation", filter.failure);
    }
    instrumentation.addTransformer(filter, true);
    for (Class<?> type : instrumentation.getAllLoadedClasses()) {
      if (!type.isArray() && instrumentation.isModifiableClass(type) && !ToolCandidates.ignored(type.getName())
          && filter.candidates.mayHoldTools(type.getClassLoader(), type.getName().replace('.', '/'),
              classFile(type))) {
        try {
          instrumentation.retransformClasses(type);
        } catch (Throwable e) {
          AgentLog.warn("Airlock agent could not instrument " + type.getName(), e);
        }
      }
    }
  }

  /** The class file {@code type} was loaded from, or an empty one (a candidate) when its loader does not have it. */
  private static byte[] classFile(Class<?> type) {
    ClassLoader loader = type.getClassLoader() != null ? type.getClassLoader() : ClassLoader.getSystemClassLoader();
    try (InputStream in = loader.getResourceAsStream(type.getName().replace('.', '/') + ".class")) {
      return in == null ? new byte[0] : in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /**
   * Builds the transformation on a daemon thread, for {@link #transform} to hand candidates to, then runs
   * {@code then} on it. (No lambda here: the first one bootstraps the JDK's lambda machinery, on the premain's
   * thread.)
   */
  void buildInBackground(Runnable then) {
    Thread thread = new Thread(new Runnable() {
      @Override
      public void run() {
        build();
        then.run();
      }
    }, "airlock-agent-install");
    thread.setDaemon(true);
    thread.start();
  }

  private void build() {
    try {
      tools = ToolTransformer.make(candidates, preparation);
    } catch (Throwable e) {
      failure = e;
    } finally {
      built.countDown();
    }
    if (failure == null) {
      AgentLog.info(installed);
    } else {
      AgentLog.warn("Airlock agent could not build its transformation; classes with @Airlock methods fail to load",
          failure);
    }
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain,
      byte[] bytes) throws IllegalClassFormatException {
    if (name == null) {
      return null;
    }
    if (ToolCandidates.ignored(name.replace('/', '.'))) {
      // Defined only: one loaded before the agent is left as it was, and another agent may retransform it.
      return redefined == null && candidates.skippedMayHoldTools(loader, name, bytes)
          ? refuseTools(module, loader, name, domain, bytes) : null;
    }
    return candidates.mayHoldTools(loader, name, bytes) ? rewrite(module, loader, name, redefined, domain, bytes)
        : null;
  }

  /**
   * A class the agent leaves alone by name refused when the rule finds a tool in it (it would be rewritten), loaded
   * untouched otherwise (Airlock's own classes name the annotation's type without carrying it).
   */
  private byte[] refuseTools(Module module, ClassLoader loader, String name, ProtectionDomain domain, byte[] bytes) {
    byte[] rewritten = rewrite(module, loader, name, null, domain, bytes);
    if (rewritten != null && rewritten != REFUSED) {
      // An ignored name has a package: every prefix ends with a dot.
      String dotted = name.replace('/', '.');
      AgentLog.warn("Airlock agent refuses to define " + dotted + ": it declares or inherits @Airlock tools, but the "
          + "agent does not rewrite classes in the package " + dotted.substring(0, dotted.lastIndexOf('.'))
          + " (the JDK's, Byte Buddy's and Airlock's own are left alone), so they would run on the host unguarded; "
          + "move the tool class to a package of your own", null);
    }
    return rewritten == null ? null : REFUSED;
  }

  /** The class rewritten, null when it holds no tool, or {@link #REFUSED} when it cannot be rewritten. */
  private byte[] rewrite(Module module, ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain,
      byte[] bytes) {
    boolean interrupted = false;
    while (built.getCount() > 0) {
      try {
        built.await();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    ToolTransformer transformer = tools;
    if (transformer == null) {
      return REFUSED;
    }
    try {
      return transformer.transform(module, loader, name, redefined, domain, bytes);
    } catch (Throwable e) {
      AgentLog.warn("Airlock agent refuses to define " + name.replace('/', '.') + ": it may hold @Airlock tools and "
          + "could not be instrumented", e);
      return REFUSED;
    }
  }
}
