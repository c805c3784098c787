package dev.airlock.internal.worker;

import dev.airlock.internal.backend.HostFolders;
import dev.airlock.internal.backend.WorkerChannels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Spring Boot executable jar keeps the application's classes and libraries nested, which a worker's plain class
 * path cannot read. It is unpacked once per jar content into the user's own cache ({@code ~/.cache/airlock/boot},
 * a folder only the user can enter), and its parts listed.
 *
 * <p>Nothing is trusted for being there: the unpacked folder is named by the SHA-256 of the jar, keeps the SHA-256 of
 * every file it holds, and is used only when every folder on the way is the user's own and writable by nobody else
 * and every file is as listed; otherwise it is unpacked afresh. Where the cache cannot be had (no home folder), the
 * jar is unpacked into a private temp folder of this JVM. A shared, guessable folder in {@code /tmp} would let
 * another local user plant classes that run as the application.
 */
final class SpringBootJar {
  private static final Logger LOG = LoggerFactory.getLogger(SpringBootJar.class);
  private static final String CLASSES = "BOOT-INF/classes/";
  private static final String LIB = "BOOT-INF/lib/";
  private static final String CONTENTS = "airlock-contents.sha256";
  private static final String TEMP_PREFIX = "airlock-boot-";

  private SpringBootJar() {
  }

  /** The unpacked classes folder and library jars, or nothing when the jar is not a Spring Boot executable jar. */
  static List<Path> unpackedEntries(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      if (manifest == null || manifest.getMainAttributes().getValue("Spring-Boot-Classes") == null) {
        return List.of();
      }
      Path target = privateBase().resolve(sha256(jar));
      if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) || !intact(target)) {
        WorkerChannels.deleteTree(target);
        unpack(file, target);
      }
      List<Path> parts = new ArrayList<>();
      parts.add(target.resolve(CLASSES));
      try (Stream<Path> libs = Files.list(target.resolve(LIB))) {
        libs.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(parts::add);
      }
      return parts;
    } catch (IOException e) {
      LOG.warn("Airlock cannot unpack the Spring Boot jar {} for its workers: {}", jar, e.toString());
      return List.of();
    }
  }

  /** {@code ~/.cache/airlock/boot} if it is the user's alone, else a fresh private folder of this JVM. */
  private static Path privateBase() throws IOException {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    Path base = cache.resolve("airlock").resolve("boot");
    try {
      Files.createDirectories(base, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      if (ownedAndClosed(base, true) && ownedAndClosed(base.getParent(), false)) {
        return base;
      }
      LOG.warn("Airlock does not use {} for Spring Boot jars: it is not this user's alone", base);
    } catch (IOException | SecurityException e) {
      // No usable home folder: a private temp folder serves this JVM.
    }
    return JvmFolder.BASE;
  }

  /** A private temp folder for this JVM's lifetime, made on first use. */
  private static final class JvmFolder {
    static final Path BASE = make();

    private static Path make() {
      try {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path made = HostFolders.create(tmp, TEMP_PREFIX, "rwx------");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> WorkerChannels.deleteTree(made), "airlock-boot"));
        return made;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** Owned by this user, not a link, writable by nobody else, and (for {@code onlyOwner}) not enterable either. */
  private static boolean ownedAndClosed(Path path, boolean onlyOwner) throws IOException {
    PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    UserPrincipal me = FileSystems.getDefault().getUserPrincipalLookupService()
        .lookupPrincipalByName(System.getProperty("user.name"));
    var permissions = attributes.permissions();
    boolean closed = !permissions.contains(PosixFilePermission.GROUP_WRITE)
        && !permissions.contains(PosixFilePermission.OTHERS_WRITE)
        && (!onlyOwner || permissions.stream().noneMatch(p -> p.name().startsWith("GROUP") || p.name()
            .startsWith("OTHERS")));
    return attributes.owner().equals(me) && !attributes.isSymbolicLink() && closed;
  }

  /** Every file is as listed in the folder's contents file, owned by this user and writable by nobody else. */
  private static boolean intact(Path target) {
    try {
      if (!ownedAndClosed(target, false)) {
        return false;
      }
      Map<String, String> listed = new TreeMap<>();
      for (String line : Files.readAllLines(target.resolve(CONTENTS), StandardCharsets.UTF_8)) {
        int space = line.indexOf(' ');
        listed.put(line.substring(space + 1), line.substring(0, space));
      }
      Map<String, String> found = new TreeMap<>();
      try (Stream<Path> tree = Files.walk(target)) {
        for (Path p : tree.toList()) {
          if (!ownedAndClosed(p, false)) {
            return false;
          }
          if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !p.getFileName().toString().equals(CONTENTS)) {
            found.put(target.relativize(p).toString(), sha256(p));
          }
        }
      }
      return found.equals(listed);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  // Unpacks into a fresh private folder then renames it, so concurrent JVMs never see a half-written tree.
  private static void unpack(JarFile file, Path target) throws IOException {
    Path staging = Files.createTempDirectory(target.getParent(), target.getFileName() + ".",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.createDirectories(staging.resolve(CLASSES));
    Files.createDirectories(staging.resolve(LIB));
    StringBuilder contents = new StringBuilder();
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
      contents.append(sha256(out)).append(' ').append(staging.relativize(out)).append('\n');
    }
    Files.writeString(staging.resolve(CONTENTS), contents, StandardCharsets.UTF_8);
    // Readable by a container's user, writable by this user only whatever the umask; the base above stays closed.
    try (Stream<Path> tree = Files.walk(staging)) {
      for (Path p : tree.toList()) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
            : "rw-r--r--"));
      }
    }
    try {
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      WorkerChannels.deleteTree(staging);
      if (!Files.isDirectory(target) || !intact(target)) {
        throw e;
      }
    }
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      byte[] buffer = new byte[65536];
      while (in.read(buffer) >= 0) {
        // Reading is digesting.
      }
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
