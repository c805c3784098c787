package dev.airlock.internal.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What {@code ldd} listed for a set of executables, kept per machine next to the class-data archive, so a fresh
 * host JVM does not run {@code ldd} over the JDK's libraries again: 150-230 ms of a backend's creation, on the first
 * call's path. The key names the command and the size and time of each file it names and of
 * {@code /etc/ld.so.cache}, so a changed JDK, tool or library configuration runs {@code ldd} again.
 *
 * <p>The listed files become read-only binds of every sandbox, so a cached list is used only when the file is the
 * user's own and no one else may write it, and only when every entry is an absolute path to an existing regular file
 * named as a shared library; anything else runs {@code ldd} afresh. (Guest code never reaches the cache: it is not
 * bound into any sandbox.)
 */
final class SharedLibraryCache {
  private static final Pattern LIBRARY_NAME = Pattern.compile("[^/\\s]+\\.so(\\.[0-9.]+)?");
  private static final Path LD_SO_CACHE = Path.of("/etc/ld.so.cache");
  private static final Set<PosixFilePermission> OTHERS_WRITE = Set.of(PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.OTHERS_WRITE);

  private final Path folder;

  SharedLibraryCache(Path folder) {
    this.folder = folder;
  }

  /** The cache in the default folder ({@code $XDG_CACHE_HOME/airlock} or {@code ~/.cache/airlock}). */
  static SharedLibraryCache ofThisUser() {
    return new SharedLibraryCache(ClassDataArchive.defaultFolder());
  }

  /** The cached list for {@code command}, or empty when there is none this machine can trust as it is. */
  Optional<List<Path>> read(List<String> command) {
    try {
      Path file = file(command);
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !trusted(file)) {
        return Optional.empty();
      }
      List<Path> libs = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        Path lib = Path.of(line);
        if (!isLibrary(lib)) {
          return Optional.empty();
        }
        libs.add(lib);
      }
      return Optional.of(libs);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Keeps {@code libs} for {@code command}; a cache that cannot be written only costs the next JVM an ldd run. */
  void write(List<String> command, List<Path> libs) {
    try {
      Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
          "rwx------")));
      Path file = file(command);
      Path temp = Files.createTempFile(folder, "ldd-", ".tmp");
      Files.write(temp, libs.stream().filter(SharedLibraryCache::isLibrary).map(Path::toString).toList(),
          StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      // Next time ldd runs again.
    }
  }

  private static boolean isLibrary(Path lib) {
    return lib.isAbsolute() && lib.getFileName() != null
        && LIBRARY_NAME.matcher(lib.getFileName().toString()).matches() && Files.isRegularFile(lib);
  }

  /** Owned by this user, not a link, and writable by nobody else: a file or folder only this user can have made. */
  static boolean trusted(Path file) throws IOException {
    Object owner = Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    return owner.equals(me) && Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).stream()
        .noneMatch(OTHERS_WRITE::contains);
  }

  private Path file(List<String> command) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<String> parts = new ArrayList<>(command);
    parts.add(ClassDataArchive.stamp(LD_SO_CACHE));
    for (String arg : command) {
      if (arg.startsWith("/")) {
        parts.add(ClassDataArchive.stamp(Path.of(arg)));
      }
    }
    for (String part : parts) {
      digest.update(part.getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
    }
    return folder.resolve("ldd-" + HexFormat.of().formatHex(digest.digest(), 0, 16) + ".txt");
  }
}
