package dev.airlock.agent;

import java.lang.reflect.Method;

/**
 * The agent's own log: through SLF4J when the application has it on the system class path, else silent. It never
 * prints to stdout or stderr.
 */
final class AgentLog {
  private static final Object LOGGER = logger();
  /** Resolved once: the agent logs each class it instruments, on that class's load. */
  private static final Method INFO = method("info");
  private static final Method DEBUG = method("debug");
  private static final Method WARN = method("warn");

  private AgentLog() {
  }

  private static Object logger() {
    try {
      Class<?> factory = Class.forName("org.slf4j.LoggerFactory", true, ClassLoader.getSystemClassLoader());
      return factory.getMethod("getLogger", String.class).invoke(null, "dev.airlock.agent");
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }

  private static Method method(String level) {
    try {
      return LOGGER == null ? null : LOGGER.getClass().getMethod(level, String.class, Throwable.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  static void info(String message) {
    log(INFO, message, null);
  }

  static void debug(String message) {
    log(DEBUG, message, null);
  }

  static void warn(String message, Throwable error) {
    log(WARN, message, error);
  }

  private static void log(Method level, String message, Throwable error) {
    if (level == null) {
      return;
    }
    try {
      level.invoke(LOGGER, message, error);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Logging must never break class loading.
    }
  }
}
