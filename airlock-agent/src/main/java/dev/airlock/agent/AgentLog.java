package dev.airlock.agent;

import java.lang.reflect.Method;

/**
 * The agent's own log: through SLF4J when the application has it on the system class path, else silent. It never
 * prints to stdout or stderr.
 */
final class AgentLog {
  private static final Object LOGGER = logger();

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

  static void info(String message) {
    log("info", message, null);
  }

  static void debug(String message) {
    log("debug", message, null);
  }

  static void warn(String message, Throwable error) {
    log("warn", message, error);
  }

  private static void log(String level, String message, Throwable error) {
    if (LOGGER == null) {
      return;
    }
    try {
      Method m = LOGGER.getClass().getMethod(level, String.class, Throwable.class);
      m.invoke(LOGGER, message, error);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Logging must never break class loading.
    }
  }
}
