package dev.airlock.agent;

import java.lang.instrument.Instrumentation;

/**
 * {@code -javaagent:airlock-agent.jar[=backend=local,timeout-seconds=30]}: routes every method an {@code @Airlock}
 * governs (on the method, on a method it overrides or implements, or on its class: see {@link ToolMatchers})
 * through Airlock's interceptor. Also attachable to a running JVM; classes already loaded are retransformed.
 *
 * <p>The premain loads no Byte Buddy: it registers {@link ToolClassFilter}, which builds the transformation on a
 * thread of its own while the application starts, and starts the pool's eager start on another. This class
 * references only the JDK's types, so loading it loads nothing more.
 */
public final class AirlockAgent {
  static final String ANNOTATION = "dev.airlock.annotation.Airlock";
  private static final String INSTALLED = "Airlock agent installed; @Airlock methods go through the interceptor";

  private AirlockAgent() {
  }

  public static void premain(String options, Instrumentation instrumentation) {
    AgentDispatch.options(AgentOptions.parse(options));
    if (applicationClassesLoaded(instrumentation)) {
      // Loaded before this premain (by an agent before it): only Byte Buddy's retransformation reaches them.
      install(instrumentation);
    } else {
      ToolClassFilter filter = new ToolClassFilter(INSTALLED);
      instrumentation.addTransformer(filter, true);
      filter.buildInBackground();
    }
    startEagerly();
  }

  public static void agentmain(String options, Instrumentation instrumentation) {
    AgentDispatch.options(AgentOptions.parse(options));
    install(instrumentation);
    startEagerly();
  }

  private static synchronized void install(Instrumentation instrumentation) {
    ToolTransformer.installOn(instrumentation);
    AgentLog.info(INSTALLED);
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
    Thread eager = new Thread(new Runnable() {
      @Override
      public void run() {
        AgentDispatch.eagerStart();
      }
    }, "airlock-agent-eager-start");
    eager.setDaemon(true);
    eager.start();
  }
}
