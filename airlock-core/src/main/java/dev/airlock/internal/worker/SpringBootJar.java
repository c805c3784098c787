package dev.airlock.internal.worker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * A Spring Boot executable jar keeps the application's classes and libraries nested, which a worker's plain class
 * path cannot read. It is unpacked once per jar version under the temp directory, and its parts listed.
 */
final class SpringBootJar {

  private static final String CLASSES = "BOOT-INF/classes/";
  private static final String LIB = "BOOT-INF/lib/";

  private SpringBootJar() {
  }

  /** The unpacked classes folder and library jars, or nothing when the jar is not a Spring Boot executable jar. */
  static List<Path> unpackedEntries(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      if (manifest == null || manifest.getMainAttributes().getValue("Spring-Boot-Classes") == null) {
        return List.of();
      }
      Path target = Path.of(System.getProperty("java.io.tmpdir"), "airlock-boot-" + jar.getFileName() + "-"
          + Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis());
      if (!Files.isDirectory(target)) {
        unpack(file, target);
      }
      List<Path> parts = new ArrayList<>();
      parts.add(target.resolve(CLASSES));
      try (Stream<Path> libs = Files.list(target.resolve(LIB))) {
        libs.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(parts::add);
      }
      return parts;
    } catch (IOException e) {
      return List.of();
    }
  }

  // Unpacks into a fresh folder then renames it, so concurrent JVMs never see a half-written tree.
  private static void unpack(JarFile file, Path target) throws IOException {
    Path staging = Files.createTempDirectory(target.getParent(), target.getFileName() + ".");
    Files.createDirectories(staging.resolve(CLASSES));
    Files.createDirectories(staging.resolve(LIB));
    Enumeration<JarEntry> all = file.entries();
    while (all.hasMoreElements()) {
      JarEntry entry = all.nextElement();
      if (entry.isDirectory() || !(entry.getName().startsWith(CLASSES) || entry.getName().startsWith(LIB))) {
        continue;
      }
      Path out = staging.resolve(entry.getName()).normalize();
      if (!out.startsWith(staging)) {
        continue;
      }
      Files.createDirectories(out.getParent());
      try (InputStream in = file.getInputStream(entry)) {
        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    try {
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteTree(staging);
      if (!Files.isDirectory(target)) {
        throw e;
      }
    }
  }

  // Another JVM unpacked the same jar first: its copy serves, this one goes.
  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
