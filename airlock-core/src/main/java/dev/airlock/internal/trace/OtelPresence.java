package dev.airlock.internal.trace;

/** Whether the OpenTelemetry API can be linked against: checked by name, loading nothing of it. */
final class OtelPresence {
  private OtelPresence() {
  }

  static boolean onPath(ClassLoader loader) {
    try {
      Class.forName("io.opentelemetry.api.GlobalOpenTelemetry", false, loader);
      Class.forName("io.opentelemetry.context.Context", false, loader);
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
