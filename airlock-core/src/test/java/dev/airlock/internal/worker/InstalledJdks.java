package dev.airlock.internal.worker;

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

/** The JDKs of this machine a test can run workers or guest programs on, besides the one running the test. */
public final class InstalledJdks {
  private static final Pattern FEATURE = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

  private InstalledJdks() {
  }

  /** The {@code java} of each JDK of at least {@code feature} in JAVA_HOME or under /usr/lib/jvm, once each. */
  public static List<Path> atLeast(int feature) throws IOException {
    List<Path> homes = new ArrayList<>();
    Optional.ofNullable(System.getenv("JAVA_HOME")).filter(h -> !h.isEmpty()).map(Path::of).ifPresent(homes::add);
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (DirectoryStream<Path> all = Files.newDirectoryStream(jvms)) {
        all.forEach(homes::add);
      }
    }
    List<Path> javas = new ArrayList<>();
    List<Path> seen = new ArrayList<>();
    for (Path home : homes) {
      Path release = home.resolve("release");
      Path java = home.resolve("bin").resolve("java");
      if (!Files.isRegularFile(release) || !Files.isExecutable(java) || seen.contains(java.toRealPath())) {
        continue;
      }
      seen.add(java.toRealPath());
      Matcher found = FEATURE.matcher(Files.readString(release));
      if (found.find() && Integer.parseInt(found.group(1)) >= feature) {
        javas.add(java);
      }
    }
    return javas;
  }

  /**
   * A test that needs a JDK this machine lacks: it fails in CI, which installs what the tests need, and is skipped with
   * {@code reason} elsewhere.
   */
  public static void missing(String reason) {
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(reason);
    }
    Assumptions.abort(reason);
  }
}
