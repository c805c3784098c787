package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
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
  private static final Pattern FEATURE = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

  @Test
  void theToolIsCalledThroughTheJniAccessorOnEveryJdkHere() throws IOException {
    List<Path> javas = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")));
    javas.addAll(newerJdks(javas.get(0).toRealPath()));
    if (javas.size() == 1 && Runtime.version().feature() < 18) {
      String reason = "no JDK 18 or later under /usr/lib/jvm or in JAVA_HOME, and JDK " + Runtime.version().feature()
          + " calls a method's first times through the JNI accessor anyway; install one to run this test";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(reason);
      }
      Assumptions.abort(reason);
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

  /** Each JDK 18 or later in JAVA_HOME or under /usr/lib/jvm, once, other than {@code own}. */
  private static List<Path> newerJdks(Path own) throws IOException {
    List<Path> homes = new ArrayList<>();
    Optional.ofNullable(System.getenv("JAVA_HOME")).filter(h -> !h.isEmpty()).map(Path::of).ifPresent(homes::add);
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (DirectoryStream<Path> all = Files.newDirectoryStream(jvms)) {
        all.forEach(homes::add);
      }
    }
    List<Path> javas = new ArrayList<>();
    List<Path> seen = new ArrayList<>(List.of(own));
    for (Path home : homes) {
      Path release = home.resolve("release");
      Path java = home.resolve("bin").resolve("java");
      if (!Files.isRegularFile(release) || !Files.isExecutable(java) || seen.contains(java.toRealPath())) {
        continue;
      }
      seen.add(java.toRealPath());
      Matcher feature = FEATURE.matcher(Files.readString(release));
      if (feature.find() && Integer.parseInt(feature.group(1)) >= 18) {
        javas.add(java);
      }
    }
    return javas;
  }
}
