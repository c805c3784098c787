package dev.airlock.agent;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.security.ProtectionDomain;
import java.util.concurrent.CountDownLatch;

/**
 * What the premain registers instead of Byte Buddy: a transformer of the JDK's types only, which lets every class
 * through untouched unless {@link ToolCandidates} says it may hold a tool, and hands those to Byte Buddy's
 * transformation, built meanwhile on a thread of its own ({@link #buildInBackground}). A candidate that comes
 * before it is built waits for it, so no tool class is ever defined without its advice: its methods never run on
 * the host because the agent was still starting. Measured on the 2-core machine, {@code main} is reached 0.4-0.7 s
 * sooner than when the premain installed Byte Buddy itself.
 */
final class ToolClassFilter implements ClassFileTransformer {
  private final ToolCandidates candidates = new ToolCandidates();
  private final String installed;
  private final CountDownLatch built = new CountDownLatch(1);
  /** Byte Buddy's transformation once built; null after {@link #built} when it could not be. */
  private volatile ClassFileTransformer tools;

  /** {@code installed} is logged once the transformation is built (SLF4J's start stays off the premain too). */
  ToolClassFilter(String installed) {
    this.installed = installed;
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
      tools = ToolTransformer.make();
      AgentLog.info(installed);
    } catch (Throwable e) {
      AgentLog.warn("Airlock agent could not build its transformation; classes with @Airlock methods fail to load",
          e);
    } finally {
      built.countDown();
    }
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain,
      byte[] bytes) throws IllegalClassFormatException {
    if (name == null || !candidates.mayHoldTools(loader, name, bytes)) {
      return null;
    }
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
    ClassFileTransformer transformer = tools;
    if (transformer == null) {
      // Fail closed: an empty class file does not load (ClassFormatError), so a tool's body cannot run unsandboxed.
      return new byte[0];
    }
    return transformer.transform(module, loader, name, redefined, domain, bytes);
  }
}
