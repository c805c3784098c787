package dev.airlock.aspectj;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.worker.WorkerClasspath;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A JVM started with the AspectJ weaver and the shipped aop.xml sandboxes an unwoven class's @Airlock method. */
@Timeout(120)
class LoadTimeWeavingTest {

  private static String run(List<String> jvmArgs) throws Exception {
    String classpath = String.join(File.pathSeparator,
        WorkerClasspath.ofThisJvm().stream().map(Path::toString).toList());
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", classpath, "com.example.ltw.LtwApp"));
    Process app = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(app.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(app.waitFor(90, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void weavesAtLoadTimeAndTheWovenClassRunsInTheWorkerWithoutALoop() throws Exception {
    String weaver = System.getProperty("aspectj.weaver.jar");
    assertThat(run(List.of("-javaagent:" + weaver))).contains("where=sandbox");
  }

  @Test
  void withoutTheWeaverTheMethodRunsUnguarded() throws Exception {
    assertThat(run(List.of())).contains("where=host");
  }
}
