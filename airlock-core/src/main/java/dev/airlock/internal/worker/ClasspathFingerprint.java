package dev.airlock.internal.worker;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A short hash of a classpath by entry names and sizes, not locations, so a worker that sees the same jars mounted
 * elsewhere agrees with the host, and one that sees other jars does not. It tells a misconfigured worker apart, it
 * does not authenticate one (a worker's word is never trusted), so it is a plain 64-bit FNV-1a: a message digest
 * would load the JDK's security providers before the handshake, about 20 ms of every worker start.
 */
public final class ClasspathFingerprint {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;
  private static final byte[] ZERO = {0};

  private ClasspathFingerprint() {
  }

  public static String of(List<Path> entries) {
    long hash = FNV_OFFSET;
    for (Path entry : entries) {
      String name = entry.getFileName() == null ? "" : entry.getFileName().toString();
      long size;
      try {
        size = Files.isRegularFile(entry) ? Files.size(entry) : -1;
      } catch (IOException e) {
        throw new IllegalStateException("cannot fingerprint the classpath entry " + entry, e);
      }
      hash = mix(mix(mix(mix(hash, name.getBytes(StandardCharsets.UTF_8)), ZERO),
          Long.toString(size).getBytes(StandardCharsets.UTF_8)), ZERO);
    }
    String hex = Long.toHexString(hash);
    return "0".repeat(16 - hex.length()).concat(hex);
  }

  private static long mix(long hash, byte[] bytes) {
    for (byte b : bytes) {
      hash = (hash ^ (b & 0xff)) * FNV_PRIME;
    }
    return hash;
  }

  /** The fingerprint of this JVM's own {@code java.class.path}. */
  public static String ofThisJvm() {
    List<Path> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(Path.of(entry));
      }
    }
    return of(entries);
  }
}
