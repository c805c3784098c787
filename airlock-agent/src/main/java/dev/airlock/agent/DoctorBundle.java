package dev.airlock.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * airlock-core and its runtime dependencies, carried in the agent jar as nested jars under {@value #FOLDER} for the
 * doctor only. Nested jars are invisible to the agent's own class loading, so {@code -javaagent} never puts a second
 * airlock-core on the system class path to shadow the application's. The doctor unpacks them into a private cache
 * folder keyed by their content hash, because workers are started with a classpath of plain files.
 *
 * <p>The folder is trusted only when it is this user's, no symlink, and closed to everyone else (0700), and every jar
 * in it must match the bundle byte for byte: workers run what is in it.
 */
final class DoctorBundle {
  static final String FOLDER = "META-INF/airlock-doctor/";
  private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

  private DoctorBundle() {
  }

  /** The unpacked jars, unpacked now or found complete from an earlier run. */
  static List<Path> unpack(Path agentJar) throws IOException {
    return unpack(agentJar, cacheRoot());
  }

  /** As {@link #unpack(Path)}, into folders under {@code cacheRoot}. */
  static List<Path> unpack(Path agentJar, Path cacheRoot) throws IOException {
    Map<String, byte[]> jars = read(agentJar);
    if (jars.isEmpty()) {
      throw new IOException(agentJar + " carries no " + FOLDER + " jars; it is not an airlock-agent jar as built by "
          + "its Maven build");
    }
    Path cache = privateFolder(cacheRoot);
    Path target = cache.resolve(hash(jars));
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      Path staging = Files.createTempDirectory(cache, ".unpacking-");
      for (Map.Entry<String, byte[]> jar : jars.entrySet()) {
        Files.write(staging.resolve(jar.getKey()), jar.getValue());
      }
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        // Another doctor unpacked the same bundle first; its copy is checked below like any other.
        deleteTree(staging);
      } catch (IOException e) {
        deleteTree(staging);
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw e;
        }
      }
    }
    return verified(privateFolder(target), jars);
  }

  private static Map<String, byte[]> read(Path agentJar) throws IOException {
    Map<String, byte[]> jars = new LinkedHashMap<>();
    try (JarFile file = new JarFile(agentJar.toFile())) {
      List<JarEntry> entries = file.stream()
          .filter(e -> e.getName().startsWith(FOLDER) && e.getName().endsWith(".jar")
              && e.getName().indexOf('/', FOLDER.length()) < 0)
          .sorted(Comparator.comparing(JarEntry::getName))
          .toList();
      for (JarEntry entry : entries) {
        try (InputStream in = file.getInputStream(entry)) {
          jars.put(entry.getName().substring(FOLDER.length()), in.readAllBytes());
        }
      }
    }
    return jars;
  }

  private static String hash(Map<String, byte[]> jars) {
    MessageDigest digest = sha256();
    for (Map.Entry<String, byte[]> jar : jars.entrySet()) {
      digest.update(jar.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update(sha256().digest(jar.getValue()));
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 16);
  }

  private static List<Path> verified(Path folder, Map<String, byte[]> jars) throws IOException {
    List<Path> paths = new ArrayList<>();
    for (Map.Entry<String, byte[]> jar : jars.entrySet()) {
      Path path = folder.resolve(jar.getKey());
      if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)
          || !MessageDigest.isEqual(sha256().digest(Files.readAllBytes(path)), sha256().digest(jar.getValue()))) {
        throw new IOException(path + " differs from the jar the agent carries; delete " + folder
            + " and run the doctor again");
      }
      paths.add(path);
    }
    return paths;
  }

  /** {@code $XDG_CACHE_HOME/airlock/doctor} or {@code ~/.cache/airlock/doctor}; a private temp folder if neither. */
  private static Path cacheRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path home = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    Path root = home.resolve("airlock").resolve("doctor");
    try {
      Files.createDirectories(root.getParent());
      if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PRIVATE));
      }
      return root;
    } catch (IOException | UnsupportedOperationException e) {
      // No writable home (a service user such as nobody): a folder of this user's own in the temp folder.
      return Path.of(System.getProperty("java.io.tmpdir"), "airlock-doctor-" + System.getProperty("user.name"));
    }
  }

  /** Creates {@code folder} as 0700, or accepts it as it is only when it is already this user's and private. */
  private static Path privateFolder(Path folder) throws IOException {
    try {
      Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PRIVATE));
    } catch (FileAlreadyExistsException e) {
      // Checked below.
    }
    String user = System.getProperty("user.name");
    String owner = Files.getOwner(folder, LinkOption.NOFOLLOW_LINKS).getName();
    if (Files.isSymbolicLink(folder) || !Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)
        || !owner.equals(user)
        || !Files.getPosixFilePermissions(folder, LinkOption.NOFOLLOW_LINKS).equals(PRIVATE)) {
      throw new IOException("the doctor's cache folder " + folder + " is not a private folder of " + user
          + " (owner " + owner + ", " + PosixFilePermissions.toString(Files.getPosixFilePermissions(folder,
          LinkOption.NOFOLLOW_LINKS)) + "); delete it, or chmod 700 it if it is yours");
    }
    return folder;
  }

  private static void deleteTree(Path folder) throws IOException {
    try (Stream<Path> paths = Files.walk(folder)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
