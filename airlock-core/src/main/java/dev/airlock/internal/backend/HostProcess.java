package dev.airlock.internal.backend;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * A host JVM as it labels what it leaves on a shared engine or cloud account (containers, sandboxes), so that a
 * reaper can tell an owner that is surely dead from one it merely cannot see. A pid names a process only within one
 * PID namespace of one boot: two applications sharing a Docker engine from two containers, or a cloud account from
 * two machines, see each other's pids as absent. So an owner is dead only when the checking process shares its boot
 * and PID namespace and finds no process with that pid and start time; anything else is unknown, and left to a
 * lifetime.
 *
 * @param boot the kernel's boot id, or empty when it cannot be read (not Linux)
 * @param pidNamespace the PID namespace ({@code pid:[4026531836]}), or empty when it cannot be read
 * @param pid the JVM's pid in that namespace
 * @param started when that JVM started, in epoch milliseconds, so a reused pid is not mistaken for the owner
 */
public record HostProcess(String boot, String pidNamespace, long pid, long started) {
  private static final boolean LINUX = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");

  public HostProcess {
    boot = boot == null ? "" : boot;
    pidNamespace = pidNamespace == null ? "" : pidNamespace;
  }

  public static HostProcess current() {
    ProcessHandle self = ProcessHandle.current();
    return new HostProcess(bootId(), currentPidNamespace(), self.pid(), startOf(self));
  }

  /**
   * True only when {@code checker} can see for sure that this process is gone: same boot, same PID namespace (both
   * known, compared in their alphanumeric form so a {@link #token()} compares alike), and no process with this pid
   * and start time.
   */
  public boolean provenDeadFrom(HostProcess checker) {
    if (boot.isEmpty() || pidNamespace.isEmpty() || !alphanumeric(boot).equals(alphanumeric(checker.boot))
        || !alphanumeric(pidNamespace).equals(alphanumeric(checker.pidNamespace))) {
      return false;
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(p -> startOf(p) != started).orElse(true);
  }

  /**
   * This process as one file- and cgroup-name-safe word ({@code pid.started.namespace.boot}, letters, digits and dots
   * only), for host resources that cannot carry a label: temp folders and cgroups.
   */
  public String token() {
    return pid + "." + started + "." + alphanumeric(pidNamespace) + "." + alphanumeric(boot);
  }

  /**
   * The owner named by a {@link #token()}, or empty when {@code token} is not one (a name of another format, an older
   * version's, or anything a local user planted). Boot and namespace come back in the token's alphanumeric form, which
   * {@link #provenDeadFrom} compares alike.
   */
  public static Optional<HostProcess> fromToken(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 4 || !digits(parts[0]) || !digits(parts[1]) || parts[0].length() > 18 || parts[1].length() > 18
        || !parts[2].equals(alphanumeric(parts[2])) || !parts[3].equals(alphanumeric(parts[3]))) {
      return Optional.empty();
    }
    return Optional.of(new HostProcess(parts[3], parts[2], Long.parseLong(parts[0]), Long.parseLong(parts[1])));
  }

  private static boolean digits(String text) {
    return !text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  private static String alphanumeric(String text) {
    StringBuilder kept = new StringBuilder(text.length());
    text.chars().filter(c -> c < 128 && Character.isLetterOrDigit(c)).forEach(c -> kept.append((char) c));
    return kept.toString();
  }

  /**
   * {@code /proc/sys/kernel/random/boot_id}: the same for every process of one kernel boot, in any container. Off
   * Linux, the host name; on a Linux that hides it, empty (unknown).
   */
  public static String bootId() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
    } catch (IOException | RuntimeException e) {
      if (LINUX) {
        return "";
      }
      try {
        return "host:" + InetAddress.getLocalHost().getHostName();
      } catch (IOException unknown) {
        return "";
      }
    }
  }

  /**
   * {@code readlink /proc/self/ns/pid}: names the PID namespace the pids of this process are valid in. Off Linux
   * there are no PID namespaces; on a Linux that hides it, empty (unknown).
   */
  public static String currentPidNamespace() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
    } catch (IOException | RuntimeException e) {
      return LINUX ? "" : "none";
    }
  }

  private static long startOf(ProcessHandle process) {
    return process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }
}
