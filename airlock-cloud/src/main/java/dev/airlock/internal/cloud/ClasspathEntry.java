package dev.airlock.internal.cloud;

import dev.airlock.internal.worker.WorkerClasspath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One classpath entry named by its content: a jar by the SHA-256 of its bytes, a folder by the SHA-256 of its
 * files' relative paths and hashes. In a sandbox it lives at {@code <home>/cas/<hash>/<name>}, so the same content
 * is shipped once per sandbox, and the worker sees the same entry names and sizes as the host (the classpath
 * fingerprint of the handshake).
 *
 * <p>What is hashed and shipped is what a worker may read ({@link WorkerClasspath#readableEntry}), never more: a jar
 * holding configuration or keys is shipped as its copy with those entries zeroed (same size), and a folder without
 * its configuration, key and dot files ({@link WorkerClasspath#readableInFolder}).
 *
 * @param hash lowercase hex SHA-256
 * @param name the entry's file name on the host, kept so the worker's classpath fingerprint matches
 * @param directory whether the entry is a folder of classes rather than a jar
 */
public record ClasspathEntry(String hash, String name, boolean directory) {
  static final String STORE = "cas";
  /** Written after a folder's files, so a folder cut short by a dead host is not taken for complete. */
  static final String COMPLETE_MARKER = ".complete";
  private static final Map<String, ClasspathEntry> HASHED = new ConcurrentHashMap<>();

  public ClasspathEntry {
    if (!hash.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA-256: " + hash);
    }
    if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("not a file name: " + name);
    }
  }

  /** Hashes a host entry; results are kept per path, size and modification time. */
  public static ClasspathEntry of(Path entry) {
    try {
      boolean directory = Files.isDirectory(entry);
      String key = entry + "|" + (directory ? "dir" : Files.size(entry)) + "|" + Files.getLastModifiedTime(entry);
      return HASHED.computeIfAbsent(key, k -> new ClasspathEntry(
          directory ? hashTree(entry) : hashFile(WorkerClasspath.readableEntry(entry, false)),
          entry.getFileName().toString(), directory));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read classpath entry " + entry, e);
    }
  }

  /** Where this entry lives under a sandbox home. */
  public String remotePath(String home) {
    return home + "/" + STORE + "/" + hash + "/" + name;
  }

  /** The files to upload for this entry: sandbox path → host file; for a folder, its marker comes last. */
  public List<SandboxFile> uploads(String home, Path hostEntry) {
    List<SandboxFile> uploads = new ArrayList<>();
    if (!directory) {
      uploads.add(SandboxFile.of(remotePath(home), WorkerClasspath.readableEntry(hostEntry, false)));
      return uploads;
    }
    for (Path file : filesOf(hostEntry)) {
      uploads.add(SandboxFile.of(remotePath(home) + "/" + relative(hostEntry, file), file));
    }
    uploads.add(SandboxFile.of(home + "/" + STORE + "/" + hash + "/" + COMPLETE_MARKER, new byte[0]));
    return uploads;
  }

  /** Whether the sandbox copy at {@code local} holds exactly this content (checked by the bridge). */
  boolean presentAt(Path local) {
    if (directory) {
      return Files.isRegularFile(local.resolveSibling(COMPLETE_MARKER)) && Files.isDirectory(local)
          && hash.equals(hashTree(local));
    }
    return Files.isRegularFile(local) && hash.equals(hashFile(local));
  }

  static String hashFile(Path file) {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hash " + file, e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static String hashTree(Path root) {
    MessageDigest digest = sha256();
    for (Path file : filesOf(root)) {
      digest.update(relative(root, file).getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update(hashFile(file).getBytes(StandardCharsets.US_ASCII));
      digest.update((byte) '\n');
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * The folder's files a worker may read. A symbolic link counts only when it resolves inside the folder: a bound
   * folder shows a link as a link, resolved in the sandbox where nothing else of the host is, while an upload reads
   * it on the host and would ship a file from anywhere the host user can read.
   */
  private static List<Path> filesOf(Path root) {
    Path realRoot;
    try {
      realRoot = root.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + root, e);
    }
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(f -> Files.isRegularFile(f) && insideFolder(realRoot, f)
              && WorkerClasspath.readableInFolder(relative(root, f)))
          .sorted((a, b) -> relative(root, a).compareTo(relative(root, b)))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
  }

  private static boolean insideFolder(Path realRoot, Path file) {
    if (!Files.isSymbolicLink(file)) {
      return true;
    }
    try {
      return file.toRealPath().startsWith(realRoot);
    } catch (IOException e) {
      return false;
    }
  }

  private static String relative(Path root, Path file) {
    return root.relativize(file).toString().replace('\\', '/');
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
