package dev.airlock.internal.intercept;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.ClassLoadLog;
import dev.airlock.SandboxPool;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The host warm-up readies what the first call loads: a fresh JVM whose worker is up and whose warm-up ran makes its
 * first call through the interceptor without loading a class of Airlock's call path (read off the JVM's own
 * {@code -Xlog:class+load}); without the warm-up, the same call loads them.
 */
@Timeout(120)
class HostWarmUpTest {
  private static final String MARK = "first-call-starts";
  private static final String DONE = "first-call-done";

  @Test
  void everyNamedClassExists() throws ClassNotFoundException {
    for (String name : HostWarmUp.FIRST_CALL_CLASSES) {
      Class.forName(name, false, HostWarmUp.class.getClassLoader());
    }
  }

  @Test
  void aFirstCallAfterTheWarmUpLoadsNoClassOfTheCallPath() throws Exception {
    List<String> warm = airlockClassesLoadedByFirstCall(true);
    assertThat(warm).as("classes the first call loaded after the warm-up").isEmpty();
    assertThat(airlockClassesLoadedByFirstCall(false)).as("classes the first call loads without the warm-up")
        .containsAll(List.of("dev.airlock.internal.trace.CallTracing", "dev.airlock.SandboxPool$Attempt",
            "dev.airlock.internal.wire.Messages$Invoke"));
  }

  /**
   * A lambda's call site is linked on its first run (a class spun, about 0.2 ms interpreted each), so a call's path
   * holds none the warm-up does not run: after it, the first call links no lambda of Airlock's and loads none of
   * OpenTelemetry's classes (its API is on this module's test path).
   */
  @Test
  void aFirstCallAfterTheWarmUpLinksNoLambdaOfTheCallPath() throws Exception {
    List<String> loaded = classesLoadedByFirstCall(true);
    assertThat(loaded).as("lambdas and OpenTelemetry classes the first call loaded after the warm-up")
        .filteredOn(name -> name.startsWith("io.opentelemetry.") || name.startsWith("dev.airlock.")
            && name.contains("$$Lambda") && !name.startsWith(HostWarmUpTest.class.getName()))
        .isEmpty();
  }

  /** Airlock's classes (not lambdas) a child JVM loaded during its first call, with or without the warm-up. */
  private static List<String> airlockClassesLoadedByFirstCall(boolean warmUp) throws Exception {
    List<String> airlock = new ArrayList<>();
    for (String name : classesLoadedByFirstCall(warmUp)) {
      if (name.startsWith("dev.airlock.") && !name.contains("$$Lambda") && !name.startsWith(
          HostWarmUpTest.class.getName())) {
        airlock.add(name);
      }
    }
    return airlock;
  }

  /** Every class a child JVM loaded during its first call, with or without the warm-up. */
  private static List<String> classesLoadedByFirstCall(boolean warmUp) throws Exception {
    String classpath = String.join(File.pathSeparator, WorkerClasspath.ofThisJvm().stream().map(Path::toString)
        .toList());
    List<String> lines = ClassLoadLog.run(FirstCall.class, classpath, Boolean.toString(warmUp));
    assertThat(lines).as("the child's output").contains(MARK, DONE);
    return ClassLoadLog.classes(lines.subList(lines.indexOf(MARK), lines.indexOf(DONE)));
  }

  /** A host JVM: starts its pool's worker, warms up the host side (or not), then makes one sandboxed call. */
  static final class FirstCall {
    public static void main(String[] args) throws Throwable {
      AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(1).timeoutSeconds(60).build());
      SandboxPool pool = AirlockRuntime.pool();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (pool.stats().idle() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      if (Boolean.parseBoolean(args[0])) {
        HostWarmUp.once();
      }
      System.out.println(MARK);
      Object result = AirlockInterceptor.shared().intercept(null, FirstCall.class.getDeclaredMethod("tool",
          String.class), new Object[] {"x"}, () -> "host");
      System.out.println(DONE);
      System.out.println(result);
      AirlockRuntime.closePools();
    }

    @Airlock(sandbox = true, sandboxRequired = true)
    public static String tool(String text) {
      return text + (AirlockRuntime.isSandboxed() ? "@sandbox" : "@host");
    }
  }
}
