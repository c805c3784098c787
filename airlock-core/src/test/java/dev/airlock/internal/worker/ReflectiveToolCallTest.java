package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker calls a tool through core reflection's JNI accessor on every JDK, as {@link WorkerCommand} asks: since
 * JDK 18 the default accessor spins method handles on a method's first call, which a single-use worker pays on every
 * call. Real local workers, on this JVM's JDK and on each JDK 18 or later found on the machine (JDK 17 uses the JNI
 * accessor for a method's first calls whatever the flag says, so only a newer JDK can show the flag missing).
 */
@Timeout(180)
class ReflectiveToolCallTest {
  @Test
  void theToolIsCalledThroughTheJniAccessorOnEveryJdkHere() throws IOException {
    List<Path> javas = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")));
    Path own = javas.get(0).toRealPath();
    for (Path java : InstalledJdks.atLeast(18)) {
      if (!java.toRealPath().equals(own)) {
        javas.add(java);
      }
    }
    if (javas.size() == 1 && Runtime.version().feature() < 18) {
      String reason = "no JDK 18 or later under /usr/lib/jvm or in JAVA_HOME, and JDK " + Runtime.version().feature()
          + " calls a method's first times through the JNI accessor anyway; install one to run this test";
      InstalledJdks.missing(reason);
    }
    for (Path java : javas) {
      AirlockConfig config = AirlockConfig.builder().localJava(java.toString()).sandboxRequired(true)
          .poolMinSize(0).poolMaxSize(1).build();
      try (SandboxPool pool = SandboxPool.builder(config).build()) {
        String frames = pool.call(ReflectiveToolCallTest::framesDownToMethodInvoke);
        assertThat(frames).as("the frames under a tool called by a worker of %s", java)
            .contains("java.lang.reflect.Method.invoke")
            .contains("(native)");
      }
    }
  }

  /** The tool: its own stack from itself down to {@code Method.invoke}, native frames marked. */
  static String framesDownToMethodInvoke() {
    StringBuilder frames = new StringBuilder();
    for (StackTraceElement frame : new Throwable().getStackTrace()) {
      frames.append(frame.getClassName()).append('.').append(frame.getMethodName())
          .append(frame.isNativeMethod() ? " (native)" : "").append('\n');
      if (frame.getClassName().equals("java.lang.reflect.Method")) {
        break;
      }
    }
    return frames.toString();
  }
}
