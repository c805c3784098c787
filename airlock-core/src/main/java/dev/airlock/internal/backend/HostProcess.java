package dev.airlock.internal.backend;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

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
   * known), and no process with this pid and start time.
   */
  public boolean provenDeadFrom(HostProcess checker) {
    if (boot.isEmpty() || pidNamespace.isEmpty() || !boot.equals(checker.boot)
        || !pidNamespace.equals(checker.pidNamespace)) {
      return false;
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(p -> startOf(p) != started).orElse(true);
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
