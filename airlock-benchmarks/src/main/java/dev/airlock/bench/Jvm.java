package dev.airlock.bench;

import dev.airlock.internal.worker.WorkerClasspath;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The java executable and classpath of this JVM, which every child the benchmarks start uses too. */
final class Jvm {
  private static final Pattern FEATURE = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

  private Jvm() {
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static String classpath() {
    return String.join(File.pathSeparator, WorkerClasspath.ofThisJvm().stream().map(Path::toString).toList());
  }

  /**
   * The java of the newest JDK other than this one: the system property {@code airlock.bench.other-java}, else the
   * newest JDK under {@code /usr/lib/jvm} whose feature release is above this JVM's. Users run JDK 21 and 25, and a
   * benchmark run only on the oldest supported JDK did not see a cost those pay (the reflection of JDK 18 and later).
   */
  static Optional<NamedJava> newerJava() {
    String named = System.getProperty("airlock.bench.other-java", "");
    if (!named.isEmpty()) {
      return Optional.of(new NamedJava(named, "airlock.bench.other-java"));
    }
    NamedJava newest = null;
    int newestFeature = Runtime.version().feature();
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> homes = Files.newDirectoryStream(jvms)) {
      for (Path home : homes) {
        Path release = home.resolve("release");
        Path java = home.resolve("bin").resolve("java");
        if (!Files.isRegularFile(release) || !Files.isExecutable(java)) {
          continue;
        }
        Matcher feature = FEATURE.matcher(Files.readString(release));
        if (feature.find() && Integer.parseInt(feature.group(1)) > newestFeature) {
          newestFeature = Integer.parseInt(feature.group(1));
          newest = new NamedJava(java.toString(), "JDK " + newestFeature);
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.ofNullable(newest);
  }

  /** A java executable and what to call it in a figure. */
  record NamedJava(String java, String name) {
  }
}
