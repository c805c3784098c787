package dev.airlock.internal.docker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The labels that mark a container as Airlock's and name the host process that owns it, so that containers of a
 * host killed before it could clean up are found and removed by the next backend to start on that machine.
 *
 * @param machine this machine's boot id (or host name): a pid means nothing on another machine
 * @param pid the owning JVM's pid
 * @param started when that JVM started, in epoch milliseconds, so a reused pid is not mistaken for the owner
 * @param session one backend instance in that JVM
 */
record Owner(String machine, long pid, long started, String session) {
  static final String WORKER = "dev.airlock.worker";
  static final String MACHINE = "dev.airlock.owner.machine";
  static final String PID = "dev.airlock.owner.pid";
  static final String STARTED = "dev.airlock.owner.started";
  static final String SESSION = "dev.airlock.session";

  static Owner thisProcess(String session) {
    ProcessHandle self = ProcessHandle.current();
    return new Owner(machineId(), self.pid(), startOf(self), session);
  }

  Map<String, String> labels() {
    return Map.of(WORKER, "true", MACHINE, machine, PID, Long.toString(pid), STARTED, Long.toString(started),
        SESSION, session);
  }

  /** The owner recorded on a container, when its labels are complete. */
  static Optional<Owner> of(Map<String, String> labels) {
    try {
      return Optional.of(new Owner(labels.get(MACHINE), Long.parseLong(labels.get(PID)),
          Long.parseLong(labels.get(STARTED)), labels.get(SESSION)));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** True only when this machine can tell for sure that the owning process is gone. */
  boolean isDeadOn(String thisMachine) {
    if (!machine.equals(thisMachine)) {
      return false;
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(p -> startOf(p) != started).orElse(true);
  }

  static String machineId() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
    } catch (java.io.IOException | RuntimeException e) {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException unknown) {
        return "unknown";
      }
    }
  }

  private static long startOf(ProcessHandle process) {
    return process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }
}
