package dev.airlock.internal.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.internal.worker.WorkerClasspath;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry is optional: airlock-core loaded where the API is absent traces nothing and throws no
 * {@link NoClassDefFoundError}, on the host and in a worker. The same probe with the API present does trace, so the
 * test can fail.
 */
class WithoutOpenTelemetryTest {

  /** Runs in the loader under test; references Airlock's classes only. */
  public static final class Probe {
    public static String run() throws Exception {
      CallTrace trace = CallTracing.start(Probe.class.getMethod("run"));
      try (CallTrace.Scope bound = trace.bind()) {
        trace.phase("airlock.policy").end();
        trace.attribute("airlock.backend", "local");
        trace.failed(new IllegalStateException());
      }
      trace.end("error");
      String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      try (CallTrace.Scope parent = WorkerTraceContext.enter(traceparent)) {
        assertThat(parent).isNotNull();
      }
      return CallTracing.enabled() + " " + (trace == CallTrace.NONE);
    }
  }

  @Test
  void withoutTheApiCallsAreNotTracedAndNothingFailsToLink() throws Exception {
    try (URLClassLoader withoutOtel = loader(false)) {
      assertThatThrownBy(() -> Class.forName("io.opentelemetry.api.GlobalOpenTelemetry", false, withoutOtel))
          .isInstanceOf(ClassNotFoundException.class);
      assertThat(probe(withoutOtel)).isEqualTo("false true");
    }
    try (URLClassLoader withOtel = loader(true)) {
      assertThat(probe(withOtel)).isEqualTo("true false");
    }
  }

  /** With the loader as the thread's context loader too, as an application server would set it. */
  private static String probe(ClassLoader loader) throws Exception {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      return (String) Class.forName(Probe.class.getName(), true, loader).getMethod("run").invoke(null);
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  /** This JVM's classpath, with or without OpenTelemetry's jars, under the platform loader (not the test's). */
  private static URLClassLoader loader(boolean withOtel) throws Exception {
    List<Path> entries = WorkerClasspath.ofThisJvm().stream()
        .filter(path -> withOtel || !path.getFileName().toString().startsWith("opentelemetry-")).toList();
    URL[] urls = new URL[entries.size()];
    for (int i = 0; i < urls.length; i++) {
      urls[i] = entries.get(i).toUri().toURL();
    }
    return new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
  }
}
