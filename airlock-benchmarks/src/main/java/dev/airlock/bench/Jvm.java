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
      return Optional.of(new NamedJava(named, "airlock.bench.other-java", feature(Path.of(named).getParent()
          .resolveSibling("release"))));
    }
    NamedJava newest = null;
    int newestFeature = Runtime.version().feature();
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> homes = Files.newDirectoryStream(jvms)) {
      for (Path home : homes) {
        Path java = home.resolve("bin").resolve("java");
        if (!Files.isExecutable(java)) {
          continue;
        }
        int feature = feature(home.resolve("release"));
        if (feature > newestFeature) {
          newestFeature = feature;
          newest = new NamedJava(java.toString(), "JDK " + newestFeature, newestFeature);
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.ofNullable(newest);
  }

  /** The feature release a JDK's {@code release} file names, 0 when it names none or cannot be read. */
  private static int feature(Path release) {
    try {
      Matcher feature = FEATURE.matcher(Files.readString(release));
      return feature.find() ? Integer.parseInt(feature.group(1)) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** A java executable, what to call it in a figure, and its feature release (0 when unknown). */
  record NamedJava(String java, String name, int feature) {
    /** Since JDK 25 (JEP 514) one training run with {@code -XX:AOTCacheOutput} makes an application's AOT cache. */
    boolean makesAotCacheInOneRun() {
      return feature >= 25;
    }
  }
}
