package dev.airlock;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A fresh JVM run with {@code -Xlog:class+load} on its standard output: what it printed, and the classes it loaded. */
public final class ClassLoadLog {
  private ClassLoadLog() {
  }

  /** Every line the JVM of {@code main}'s class on {@code classpath} printed; it must exit with status 0. */
  public static List<String> run(Class<?> main, String classpath, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xlog:class+load=info:stdout", "-cp",
        classpath, main.getName()));
    command.addAll(List.of(args));
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      List<String> lines = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as("the child's exit status; its output: %s", lines).isZero();
      return lines;
    } finally {
      child.destroyForcibly();
    }
  }

  /** The names of the classes whose loading {@code lines} log, in their order. */
  public static List<String> classes(List<String> lines) {
    return lines.stream().filter(line -> line.contains("[class,load]")).map(line -> line.split(" ")[1])
        .toList();
  }
}
