package dev.airlock.internal.local;

import dev.airlock.annotation.Airlock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The classes of the application's jars that use {@link Airlock} (on a method or the class): the tools a single-use
 * worker is likely to run first. Found by the annotation's type descriptor in a class file's bytes, which is there
 * whenever the class carries the annotation; a class that merely mentions the type is a harmless extra. Read from the
 * host's own classpath only, never from anything a worker wrote. Reading means inflating every class file (a 19,000-class
 * jar: 0.5-1.1 s of CPU), so the jars are read smallest first, an application's own jars before the large libraries
 * it uses, for at most {@link #BUDGET}: what is not found in time is loaded by its first call, as before.
 */
final class AnnotatedTools {
  private static final byte[] DESCRIPTOR = ("L" + Airlock.class.getName().replace('.', '/') + ";")
      .getBytes(StandardCharsets.UTF_8);
  /** A larger class file is generated code, not a tool; skipped rather than read. */
  private static final long MAX_CLASS_BYTES = 256 * 1024;
  static final Duration BUDGET = Duration.ofMillis(250);

  private AnnotatedTools() {
  }

  /** Binary names of up to {@code max} annotated classes in the {@code classpath}'s jars, found within the budget. */
  static List<String> in(List<Path> classpath, int max) {
    long deadline = System.nanoTime() + BUDGET.toNanos();
    List<String> names = new ArrayList<>();
    for (Path entry : smallestFirst(classpath)) {
      if (names.size() >= max || System.nanoTime() >= deadline) {
        break;
      }
      try (JarFile jar = new JarFile(entry.toFile(), false)) {
        for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements() && names.size() < max
            && System.nanoTime() < deadline; ) {
          JarEntry e = entries.nextElement();
          String name = e.getName();
          if (name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class")
              && e.getSize() <= MAX_CLASS_BYTES && annotated(jar, e)) {
            names.add(name.substring(0, name.length() - ".class".length()).replace('/', '.'));
          }
        }
      } catch (IOException | RuntimeException e) {
        // Not a readable jar: the JVM cannot archive from it either.
      }
    }
    return names;
  }

  private static List<Path> smallestFirst(List<Path> classpath) {
    List<Path> jars = new ArrayList<>(classpath.stream().filter(Files::isRegularFile).toList());
    jars.sort(Comparator.comparingLong(AnnotatedTools::size));
    return jars;
  }

  private static long size(Path jar) {
    try {
      return Files.size(jar);
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  private static boolean annotated(JarFile jar, JarEntry entry) throws IOException {
    byte[] bytes;
    try (InputStream in = jar.getInputStream(entry)) {
      bytes = in.readNBytes((int) MAX_CLASS_BYTES + 1);
    }
    for (int i = 0; i + DESCRIPTOR.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + DESCRIPTOR.length, DESCRIPTOR, 0, DESCRIPTOR.length)) {
        return true;
      }
    }
    return false;
  }
}
