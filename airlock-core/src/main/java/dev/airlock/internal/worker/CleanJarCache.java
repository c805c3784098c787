package dev.airlock.internal.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The jars a scan found free of configuration and keys ({@link ClasspathSecrets#isSecret}), kept per machine in the
 * user's cache folder, so a fresh host JVM does not read the central directory of every classpath jar again: a
 * 30 MB application jar of 19,000 entries was 30 ms of CPU of a backend's creation on a quiet machine, 0.33 s under
 * load, on the first call's path. Only the verdict "nothing to mask" is kept: a jar with secrets is read again, as
 * its masked copy must be made anyway.
 *
 * <p>A verdict names the jar's path and what the kernel says of the file behind it (device and inode, size,
 * modification and status-change times: the last changes with every write and cannot be set back by a user), and
 * the masking rule itself, so a changed, replaced or moved jar, or a new rule, is scanned again. A verdict is used
 * only when its file is a regular file (no link) of this user that no one else may write, and holds exactly that
 * key; anything else is ignored and the jar scanned. Guest code never reaches the cache: it is not bound into any
 * sandbox. One file per jar path (a rebuilt jar replaces its verdict), at most {@value #MAX_VERDICTS}: beyond, the
 * oldest half is deleted.
 */
final class CleanJarCache {
  private static final String PREFIX = "clean-jar-";
  /** Verdicts kept at most; beyond, the oldest half goes. */
  static final int MAX_VERDICTS = 2048;

  private final Path folder;
  private final String rule;

  /** A cache in {@code folder} of scans by {@code rule} (what decides a secret: its patterns, as text). */
  CleanJarCache(Path folder, String rule) {
    this.folder = folder;
    this.rule = rule;
  }

  /** Whether a scan by this rule found {@code jar}, as it is now, free of secrets. */
  boolean knownClean(Path jar) {
    try {
      Optional<String> key = key(jar);
      if (key.isEmpty()) {
        return false;
      }
      Path file = file(jar);
      return MachineCache.trusted(file)
          && Files.size(file) < 4096 && key.get().equals(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Remembers that {@code jar} is free of secrets; {@code scannedKey} is {@link #key} taken before the scan, so a jar
   * replaced while it was read is not remembered. A cache that cannot be written only costs the next JVM a scan.
   */
  void rememberClean(Path jar, String scannedKey) {
    try {
      if (!key(jar).map(scannedKey::equals).orElse(false)) {
        return;
      }
      Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
          "rwx------")));
      Path temp = Files.createTempFile(folder, PREFIX, ".tmp");
      Files.writeString(temp, scannedKey, StandardCharsets.UTF_8);
      Files.move(temp, file(jar), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      evictBeyond(MAX_VERDICTS);
    } catch (IOException | RuntimeException e) {
      // Next time the jar is scanned again.
    }
  }

  /** Deletes the least recently written verdicts beyond {@code max}: jars in folders that come and go (tests). */
  private void evictBeyond(int max) throws IOException {
    List<Path> verdicts;
    try (Stream<Path> files = Files.list(folder)) {
      verdicts = files.filter(f -> f.getFileName().toString().startsWith(PREFIX)).toList();
    }
    if (verdicts.size() <= max) {
      return;
    }
    Map<Path, FileTime> written = new HashMap<>();
    for (Path verdict : verdicts) {
      written.put(verdict, Files.getLastModifiedTime(verdict, LinkOption.NOFOLLOW_LINKS));
    }
    List<Path> oldestFirst = new ArrayList<>(verdicts);
    oldestFirst.sort(Comparator.comparing(written::get));
    for (Path verdict : oldestFirst.subList(0, verdicts.size() - max / 2)) {
      Files.deleteIfExists(verdict);
    }
  }

  /** What identifies {@code jar} as it is now, or empty when the file system cannot say (then nothing is kept). */
  Optional<String> key(Path jar) {
    try {
      Path absolute = jar.toAbsolutePath().normalize();
      BasicFileAttributes attributes = Files.readAttributes(absolute, BasicFileAttributes.class);
      Object fileKey = attributes.fileKey();
      Object changed = Files.getAttribute(absolute, "unix:ctime");
      if (fileKey == null || changed == null || !attributes.isRegularFile()) {
        return Optional.empty();
      }
      return Optional.of(String.join("\n", "airlock clean jar v1", rule, absolute.toString(), fileKey.toString(),
          Long.toString(attributes.size()), attributes.lastModifiedTime().toString(), changed.toString()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * One verdict file per jar path, so a rebuilt jar replaces its verdict instead of adding one; the key inside says
   * which version of the file it is about.
   */
  private Path file(Path jar) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(jar.toAbsolutePath().normalize().toString()
          .getBytes(StandardCharsets.UTF_8));
      return folder.resolve(PREFIX + HexFormat.of().formatHex(digest, 0, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
