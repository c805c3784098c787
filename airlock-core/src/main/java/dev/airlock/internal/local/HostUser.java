package dev.airlock.internal.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the kernel's per-user books say about the user this JVM runs as, for the limits a worker can be given. */
final class HostUser {

  private HostUser() {
  }

  /** Whether this process's real uid is 0: the kernel exempts it from {@code RLIMIT_NPROC}. */
  static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return "0".equals(line.substring(4).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Unknown: treated as root, so no limit is set that the kernel might not apply.
    }
    return true;
  }

  /** Whether this kernel counts {@code RLIMIT_NPROC} and {@code RLIMIT_SIGPENDING} per user namespace (5.14+). */
  static boolean limitsCountedPerNamespace() {
    return atLeast(System.getProperty("os.version", ""), 5, 14);
  }

  static boolean atLeast(String release, int major, int minor) {
    String[] parts = release.split("[^0-9]+", 3);
    try {
      int m = Integer.parseInt(parts[0]);
      return m > major || m == major && parts.length > 1 && Integer.parseInt(parts[1]) >= minor;
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      return false;
    }
  }
}
