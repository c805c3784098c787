package dev.airlock.bench;

import dev.airlock.internal.worker.WorkerClasspath;
import java.io.File;
import java.nio.file.Path;

/** The java executable and classpath of this JVM, which every child the benchmarks start uses too. */
final class Jvm {

  private Jvm() {
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static String classpath() {
    return String.join(File.pathSeparator, WorkerClasspath.ofThisJvm().stream().map(Path::toString).toList());
  }
}
