package dev.airlock.aspectj;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.inherited.InheritedTools;
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
    return run(jvmArgs, "com.example.ltw.LtwApp");
  }

  private static String run(List<String> jvmArgs, String mainClass) throws Exception {
    String classpath = String.join(File.pathSeparator,
        WorkerClasspath.ofThisJvm().stream().map(Path::toString).toList());
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", classpath, mainClass));
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

  /** Issue 20 item 1: an annotation on an interface, superclass or class governs the methods that inherit it. */
  @Test
  void inheritedAnnotationsAreWovenAndRunInTheSandbox() throws Exception {
    String weaver = System.getProperty("aspectj.weaver.jar");
    StringBuilder expected = new StringBuilder();
    InheritedTools.expected().forEach((shape, where) -> expected.append(shape).append('=').append(where).append('\n'));
    assertThat(run(List.of("-javaagent:" + weaver), InheritedTools.class.getName()))
        .isEqualTo(expected + "done\n");
  }

  /**
   * A host tool overriding a required-sandbox tool and calling it with {@code super}: the execution join point is
   * the overridden body, governed by the override, so it ran on the host. Refused now; the direct call still runs in
   * the sandbox.
   */
  @Test
  void aHostToolsSuperCallIntoARequiredBodyIsRefused() throws Exception {
    String weaver = System.getProperty("aspectj.weaver.jar");
    assertThat(run(List.of("-javaagent:" + weaver), "com.example.ltw.SuperCallApp"))
        .isEqualTo("direct=ran ls in sandbox\nsuper=dev.airlock.SandboxUnavailableException\n");
  }

  /**
   * Attack review 35: a class-level {@code @Airlock} on a supertype governs its subtypes' public methods, but the
   * aspect marked only the annotated type itself, when the weaver got it. The JVM hands the weaver a class before
   * its supertypes load, so a tool loaded before its annotated interface or superclass (the usual order) was not
   * woven: {@code interface=HOST}, {@code superclass=HOST}, unsandboxed, unguarded, silently (with compile-time
   * weaving, an annotated type from a library that is not woven did the same). The marker now also goes to a type that
   * inherits a method or constructor declared in an annotated type, which the weaver reads from the supertype's
   * class file.
   */
  @Test
  void aToolLoadedBeforeItsClassLevelAnnotatedSupertypeIsWoven() throws Exception {
    String weaver = System.getProperty("aspectj.weaver.jar");
    assertThat(run(List.of("-javaagent:" + weaver), "com.example.ltw.ClassLevelFirstApp"))
        .isEqualTo("interface=sandbox\nsuperclass=sandbox\n");
  }

  @Test
  void withoutTheWeaverTheMethodRunsUnguarded() throws Exception {
    assertThat(run(List.of())).contains("where=host");
  }
}
