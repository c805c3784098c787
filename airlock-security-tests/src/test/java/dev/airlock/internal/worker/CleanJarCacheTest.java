package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.worker.WorkerClasspath.Mount;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-machine verdicts "this jar holds no configuration or keys" ({@link CleanJarCache}): believed only for the
 * very file they were taken of, by the same rule, from a cache file no one else may write; anything else is scanned.
 */
class CleanJarCacheTest {
  private static final String RULE = "test rule";

  @Test
  void aJarFoundCleanIsRememberedAndItsVerdictSparesTheNextScan(@TempDir Path dir) throws IOException {
    CleanJarCache cache = new CleanJarCache(dir.resolve("cache"), RULE);
    Path clean = jar(dir.resolve("lib.jar"), "conf/zzzzzz.yml");
    assertThat(ClasspathSecrets.view(List.of(clean), false, cache)).containsExactly(new Mount(clean, clean));
    assertThat(cache.knownClean(clean)).as("remembered").isTrue();

    // A verdict the cache holds is believed without reading the jar: shown with one planted for a jar with a secret.
    Path secret = jar(dir.resolve("app.jar"), "application.yml");
    plantVerdict(cache, secret);
    assertThat(ClasspathSecrets.view(List.of(secret), false, cache)).containsExactly(new Mount(secret, secret));
  }

  @Test
  void aJarRewrittenInPlaceWithTheSameSizeAndTimeIsScannedAgain(@TempDir Path dir) throws IOException {
    CleanJarCache cache = new CleanJarCache(dir.resolve("cache"), RULE);
    Path jar = jar(dir.resolve("lib.jar"), "conf/zzzzzz.yml");
    FileTime time = Files.getLastModifiedTime(jar);
    long size = Files.size(jar);
    assertThat(ClasspathSecrets.view(List.of(jar), false, cache)).containsExactly(new Mount(jar, jar));

    Files.write(jar, jarBytes("application.yml"));
    Files.setLastModifiedTime(jar, time);
    assertThat(Files.size(jar)).as("same size").isEqualTo(size);

    List<Mount> view = ClasspathSecrets.view(List.of(jar), false, cache);
    assertThat(view.get(0).source()).as("masked copy, not the stale verdict").isNotEqualTo(jar);
  }

  @Test
  void aVerdictOthersMayWriteOrThatIsCorruptOrOfAnotherRuleIsIgnored(@TempDir Path dir) throws IOException {
    Path folder = dir.resolve("cache");
    CleanJarCache cache = new CleanJarCache(folder, RULE);
    Path secret = jar(dir.resolve("app.jar"), "application.yml");

    plantVerdict(cache, secret);
    Path verdict = onlyFile(folder);
    Files.setPosixFilePermissions(verdict, PosixFilePermissions.fromString("rw-rw-r--"));
    assertThat(cache.knownClean(secret)).as("group-writable").isFalse();
    assertThat(ClasspathSecrets.view(List.of(secret), false, cache).get(0).source()).isNotEqualTo(secret);

    Files.setPosixFilePermissions(verdict, PosixFilePermissions.fromString("rw-------"));
    assertThat(cache.knownClean(secret)).as("the same file, private again").isTrue();
    Files.writeString(verdict, Files.readString(verdict) + " ");
    assertThat(cache.knownClean(secret)).as("corrupt").isFalse();

    plantVerdict(cache, secret);
    assertThat(new CleanJarCache(folder, "another rule").knownClean(secret)).as("another rule").isFalse();
    Path moved = Files.copy(secret, dir.resolve("moved.jar"));
    assertThat(cache.knownClean(moved)).as("another file").isFalse();
  }

  @Test
  void aRebuiltJarReplacesItsVerdictAndTheCacheStaysBounded(@TempDir Path dir) throws IOException {
    Path folder = dir.resolve("cache");
    CleanJarCache cache = new CleanJarCache(folder, RULE);
    Path jar = jar(dir.resolve("lib.jar"), "conf/zzzzzz.yml");
    plantVerdict(cache, jar);
    Files.delete(jar);
    jar(jar, "conf/yyyyyy.yml");
    plantVerdict(cache, jar);
    assertThat(onlyFile(folder)).as("one verdict per jar path").isNotNull();

    for (int i = 0; i < CleanJarCache.MAX_VERDICTS; i++) {
      Files.setLastModifiedTime(Files.writeString(folder.resolve("clean-jar-old" + i), "stale"),
          FileTime.fromMillis(i));
    }
    Path other = jar(dir.resolve("other.jar"), "conf/zzzzzz.yml");
    plantVerdict(cache, other);
    try (Stream<Path> files = Files.list(folder)) {
      assertThat(files.count()).isLessThanOrEqualTo(CleanJarCache.MAX_VERDICTS);
    }
    assertThat(cache.knownClean(other)).as("the newest verdict is kept").isTrue();
    assertThat(cache.knownClean(jar)).as("a recent one too").isTrue();
  }

  private static void plantVerdict(CleanJarCache cache, Path jar) {
    cache.rememberClean(jar, cache.key(jar).orElseThrow());
    assertThat(cache.knownClean(jar)).isTrue();
  }

  private static Path onlyFile(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      List<Path> all = files.toList();
      assertThat(all).hasSize(1);
      return all.get(0);
    }
  }

  private static Path jar(Path file, String entry) throws IOException {
    return Files.write(file, jarBytes(entry));
  }

  /** A jar of one class and one stored entry: names of equal length give jars of equal size. */
  private static byte[] jarBytes(String entry) throws IOException {
    var bytes = new java.io.ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      put(zip, "com/acme/Tool.class", "class bytes");
      put(zip, entry, "password=hunter2");
    }
    return bytes.toByteArray();
  }

  private static void put(ZipOutputStream zip, String name, String content) throws IOException {
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    entry.setSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    entry.setCrc(crc.getValue());
    entry.setTime(0);
    zip.putNextEntry(entry);
    OutputStream out = zip;
    out.write(data);
    zip.closeEntry();
  }
}
