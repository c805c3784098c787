package dev.airlock.worker;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A short hash of a classpath by entry names and sizes, not locations, so a worker that sees the same jars mounted
 * elsewhere agrees with the host, and one that sees other jars does not.
 */
public final class ClasspathFingerprint {

  private ClasspathFingerprint() {
  }

  public static String of(List<Path> entries) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path entry : entries) {
        digest.update(entry.getFileName() == null ? new byte[0]
            : entry.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        long size = Files.isRegularFile(entry) ? Files.size(entry) : -1;
        digest.update(Long.toString(size).getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest(), 0, 12);
    } catch (NoSuchAlgorithmException | java.io.IOException e) {
      throw new IllegalStateException("cannot fingerprint the classpath", e);
    }
  }

  /** The fingerprint of this JVM's own {@code java.class.path}. */
  public static String ofThisJvm() {
    return of(java.util.Arrays.stream(System.getProperty("java.class.path", "").split(File.pathSeparator))
        .filter(s -> !s.isEmpty()).map(Path::of).toList());
  }
}
