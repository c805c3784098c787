package dev.airlock.security;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a main class of this module as uid 65534 ({@code setpriv}), where no cgroup is writable: the host of the
 * non-root cases. The classpath is copied into a folder that user can read (the build's own may sit under a private
 * home).
 */
final class NonRootJvm {

  private NonRootJvm() {
  }

  /** The JVM's whole output, after it exited within 90 s. */
  static String run(Class<?> main, String... args) throws IOException, InterruptedException {
    return run(List.of(), 65534, main, args);
  }

  /**
   * As above, as {@code uid} (one no other test uses keeps per-user counts to this JVM) and with {@code prefix}
   * before {@code setpriv} (a {@code prlimit} of the user's process limit).
   */
  static String run(List<String> prefix, int uid, Class<?> main, String... args)
      throws IOException, InterruptedException {
    Path readable = Files.createTempDirectory("airlock-nonroot-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      List<String> classpath = new ArrayList<>();
      int n = 0;
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        Path source = Path.of(entry);
        if (Files.exists(source)) {
          // Folders keep a build-output name: workers are shown no other classpath folder.
          Path target = Files.isDirectory(source) ? readable.resolve("m" + n++).resolve("target/classes")
              : readable.resolve(n++ + "-" + source.getFileName());
          copy(source, target);
          classpath.add(target.toString());
        }
      }
      List<String> command = new ArrayList<>(prefix);
      command.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          String.join(File.pathSeparator, classpath), main.getName()));
      command.addAll(List.of(args));
      Process jvm = new ProcessBuilder(command).directory(readable.toFile()).redirectErrorStream(true).start();
      String output = new String(jvm.getInputStream().readAllBytes());
      if (!jvm.waitFor(90, TimeUnit.SECONDS)) {
        jvm.destroyForcibly();
        throw new AssertionError("the non-root JVM did not exit: " + output);
      }
      return output;
    } finally {
      try (Stream<Path> files = Files.walk(readable)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void copy(Path source, Path target) throws IOException {
    try (Stream<Path> files = Files.walk(source)) {
      for (Path file : files.toList()) {
        Path to = target.resolve(source.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(to);
        } else {
          Files.copy(file, to, StandardCopyOption.REPLACE_EXISTING);
        }
        to.toFile().setReadable(true, false);
        to.toFile().setExecutable(Files.isDirectory(file), false);
      }
    }
  }
}
