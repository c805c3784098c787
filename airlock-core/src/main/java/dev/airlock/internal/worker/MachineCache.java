package dev.airlock.internal.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * The user's cache folder, where what a host JVM learns once per machine is kept for the next (the class-data
 * archive, {@code ldd}'s lists, the jars found free of secrets), and the rule for trusting a file found in it.
 */
public final class MachineCache {
  private static final Set<PosixFilePermission> OTHERS_WRITE = Set.of(PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.OTHERS_WRITE);

  private MachineCache() {
  }

  /** {@code $XDG_CACHE_HOME/airlock}, else {@code ~/.cache/airlock}. */
  public static Path folder() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("airlock");
  }

  /**
   * Whether a cached file may be believed: a regular file (not a link) of this user that no one else may write. What
   * another local user could have planted is never read.
   */
  public static boolean trusted(Path file) throws IOException {
    return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && ownedAlone(file);
  }

  /** Whether {@code file} (a file or a folder, never followed if a link) is this user's and writable by nobody else. */
  public static boolean ownedAlone(Path file) throws IOException {
    if (Files.isSymbolicLink(file)) {
      return false;
    }
    Object owner = Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    return owner.equals(me) && Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).stream()
        .noneMatch(OTHERS_WRITE::contains);
  }
}
