package dev.airlock.agent;

import java.lang.instrument.Instrumentation;

/**
 * {@code -javaagent:airlock-agent.jar[=backend=local,timeout-seconds=30]}: routes every method an {@code @Airlock}
 * governs (on the method, on a method it overrides or implements, or on its class: see {@link ToolTransformer})
 * through Airlock's interceptor. Also attachable to a running JVM; classes already loaded are retransformed.
 *
 * <p>The premain loads no ASM: it registers {@link ToolClassFilter}, which builds the transformation on a
 * thread of its own while the application starts, then starts the pool's eager start there. This class
 * references only the JDK's types, so loading it loads nothing more.
 */
public final class AirlockAgent {
  static final String ANNOTATION = "dev.airlock.annotation.Airlock";
  private static final String INSTALLED = "Airlock agent installed; @Airlock methods go through the interceptor";
  /** The pool's eager start (a class, not a lambda: the premain would bootstrap the JDK's lambda machinery). */
  private static final Runnable EAGER_START = new Runnable() {
    @Override
    public void run() {
      AgentDispatch.eagerStart();
    }
  };

  /** Set by {@link #premain} and {@link #agentmain}: the Spring starter asks it before refusing final tools. */
  private static volatile boolean installed;

  private AirlockAgent() {
  }

  /** Whether this agent was installed in this JVM (every tool class loaded from now on is rewritten or refused). */
  public static boolean installed() {
    return installed;
  }

  public static void premain(String options, Instrumentation instrumentation) {
    installed = true;
    AgentDispatch.premainOptions(AgentOptions.parse(options));
    if (applicationClassesLoaded(instrumentation)) {
      // Loaded before this premain (by an agent before it): only retransformation reaches them.
      install(instrumentation);
      startEagerly();
    } else {
      ToolClassFilter filter = new ToolClassFilter(INSTALLED, new ToolPreparation(instrumentation));
      instrumentation.addTransformer(filter, true);
      // Eager start after the build, on its thread: every tool call waits for the build, and on a busy machine the
      // backend's probe and the first workers starting beside it delayed it by seconds (first call 1 s after start:
      // 5.6 s against 1.2 s at load 13 on 2 cores).
      filter.buildInBackground(EAGER_START);
    }
  }

  public static void agentmain(String options, Instrumentation instrumentation) {
    installed = true;
    AgentDispatch.attachOptions(AgentOptions.parse(options));
    install(instrumentation);
    startEagerly();
  }

  private static synchronized void install(Instrumentation instrumentation) {
    ToolClassFilter.installNow(instrumentation, INSTALLED);
  }

  /** Whether a class the agent may instrument is loaded already, which a filter registered now would never see. */
  private static boolean applicationClassesLoaded(Instrumentation instrumentation) {
    for (Class<?> type : instrumentation.getAllLoadedClasses()) {
      if (type.getClassLoader() != null && !ToolCandidates.ignored(type.getName())
          && instrumentation.isModifiableClass(type)) {
        return true;
      }
    }
    return false;
  }

  /** Off the application's start: its main runs while the backend probes and the first workers start. */
  private static void startEagerly() {
    Thread eager = new Thread(EAGER_START, "airlock-agent-eager-start");
    eager.setDaemon(true);
    eager.start();
  }
}
