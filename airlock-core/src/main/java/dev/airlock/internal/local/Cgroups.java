package dev.airlock.internal.local;

import dev.airlock.internal.backend.HostProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The cgroup hierarchy Airlock may write, found by trying: cgroup v1 controllers (memory, pids, cpu) under
 * {@code /sys/fs/cgroup/<controller>/airlock}, else a v2 subtree at {@code /sys/fs/cgroup/airlock}. On machines where
 * neither is writable (an unprivileged user without delegation), it reports so: the JVM's own heap limit is then all
 * there is, and the posture says memory and pids are not enforced.
 */
final class Cgroups {
  private static final Path ROOT = Path.of("/sys/fs/cgroup");

  enum Version { V1, V2 }

  private final Version version;
  private final Path memoryParent;
  private final Path pidsParent;
  private final Path cpuParent;
  private final String unavailableReason;

  private Cgroups(Version version, Path memory, Path pids, Path cpu, String unavailableReason) {
    this.version = version;
    this.memoryParent = memory;
    this.pidsParent = pids;
    this.cpuParent = cpu;
    this.unavailableReason = unavailableReason;
  }

  static Cgroups probe(String namespace) {
    reapAbandoned();
    if (Files.isRegularFile(ROOT.resolve("memory/memory.limit_in_bytes"))) {
      Path memory = writableChild(ROOT.resolve("memory"), namespace);
      Path pids = writableChild(ROOT.resolve("pids"), namespace);
      Path cpu = writableChild(ROOT.resolve("cpu"), namespace);
      String reason = memory == null && pids == null ? "cgroup v1 hierarchy under " + ROOT + " is not writable" : null;
      return new Cgroups(Version.V1, memory, pids, cpu, reason);
    }
    if (Files.isRegularFile(ROOT.resolve("cgroup.controllers"))) {
      Path parent = writableChild(ROOT, namespace);
      if (parent != null && enableControllers(parent)) {
        return new Cgroups(Version.V2, parent, parent, parent, null);
      }
      return new Cgroups(Version.V2, null, null, null,
          "cgroup v2 at " + ROOT + " has no writable subtree with memory and pids delegated");
    }
    return new Cgroups(null, null, null, null, "no cgroup filesystem at " + ROOT);
  }

  private static Path writableChild(Path controllerRoot, String name) {
    Path child = controllerRoot.resolve(name);
    try {
      Files.createDirectories(child);
      return Files.isWritable(child) ? child : null;
    } catch (IOException | SecurityException e) {
      return null;
    }
  }

  private static boolean enableControllers(Path parent) {
    try {
      Files.writeString(ROOT.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
      Files.writeString(parent.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
      return true;
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  /** Removes this backend's parent groups once its workers' groups are gone. */
  void removeNamespace() {
    for (Path parent : new java.util.LinkedHashSet<>(java.util.Arrays.asList(memoryParent, pidsParent, cpuParent))) {
      if (parent != null) {
        try {
          Files.deleteIfExists(parent);
        } catch (IOException e) {
          // A worker group is still being removed; the next start reaps it.
        }
      }
    }
  }

  /**
   * Groups left by a host that died without closing its pool ({@code airlock/<owner token>-<n>}, see
   * {@link HostProcess#token()}): their processes are killed and the groups removed. Only an owner proven dead from
   * here counts: the cgroup tree can be shared with JVMs in other PID namespaces (a container with the host's cgroups
   * mounted), whose live pids look absent from here, and a pid may have been reused.
   */
  static void reapAbandoned() {
    HostProcess self = HostProcess.current();
    for (String controller : List.of("memory", "pids", "cpu", "")) {
      Path base = ROOT.resolve(controller).resolve("airlock");
      if (!Files.isDirectory(base)) {
        continue;
      }
      List<Path> owners;
      try (java.util.stream.Stream<Path> listed = Files.list(base)) {
        owners = listed.filter(Files::isDirectory).toList();
      } catch (IOException e) {
        continue;
      }
      for (Path owner : owners) {
        String name = owner.getFileName().toString();
        int dash = name.lastIndexOf('-');
        if (dash > 0 && HostProcess.fromToken(name.substring(0, dash)).map(h -> h.provenDeadFrom(self)).orElse(false)) {
          reapOwner(owner);
        }
      }
    }
  }

  private static void reapOwner(Path owner) {
    try (java.util.stream.Stream<Path> groups = Files.list(owner)) {
      for (Path group : groups.filter(Files::isDirectory).toList()) {
        WorkerCgroup orphan = new WorkerCgroup(Version.V1, List.of(group), null, null);
        orphan.members().forEach(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
        orphan.remove();
      }
      Files.deleteIfExists(owner);
    } catch (IOException e) {
      // Another host is reaping, or the groups are still busy: the next start tries again.
    }
  }

  boolean memory() {
    return memoryParent != null;
  }

  boolean pids() {
    return pidsParent != null;
  }

  boolean cpu() {
    return cpuParent != null;
  }

  /**
   * How a worker's socket buffers stand against its memory limit, as the memory line of the posture ends. cgroup v1
   * does not charge them, and they are the host's kernel memory: a guest writing into loopback connections it never
   * read held 293 MiB in a worker of 224 MiB (attack review 24; a TCP limit of the group's own,
   * {@code memory.kmem.tcp.limit_in_bytes}, was read back as set and did not stop it). UDP is refused by the seccomp
   * filter; TCP is the egress path and stays.
   */
  String socketBuffers() {
    return version == Version.V2 ? ", socket buffers included"
        : "; TCP socket buffers NOT counted (cgroup v1: a guest can hold more in loopback connections; cgroup v2 "
            + "counts them)";
  }

  String describe() {
    return unavailableReason != null ? unavailableReason : "cgroup " + version.name().toLowerCase();
  }

  /** Creates the groups for one worker with its limits; null when no controller is writable. */
  WorkerCgroup create(String name, long memoryBytes, int pidsMax, double cpus) throws IOException {
    if (memoryParent == null && pidsParent == null && cpuParent == null) {
      return null;
    }
    List<Path> groups = new ArrayList<>();
    Path memory = null;
    Path pids = null;
    if (memoryParent != null) {
      memory = Files.createDirectories(memoryParent.resolve(name));
      groups.add(memory);
      if (version == Version.V1) {
        Files.writeString(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
        writeIfPresent(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
      } else {
        Files.writeString(memory.resolve("memory.max"), Long.toString(memoryBytes));
        writeIfPresent(memory.resolve("memory.swap.max"), "0");
      }
    }
    if (pidsParent != null) {
      pids = version == Version.V2 ? memory : Files.createDirectories(pidsParent.resolve(name));
      if (pids != null && !groups.contains(pids)) {
        groups.add(pids);
      }
      if (pids != null) {
        Files.writeString(pids.resolve("pids.max"), Integer.toString(pidsMax));
      }
    }
    if (cpuParent != null) {
      long period = 100_000;
      long quota = Math.max(1000, (long) (cpus * period));
      if (version == Version.V1) {
        Path cpu = Files.createDirectories(cpuParent.resolve(name));
        groups.add(cpu);
        writeIfPresent(cpu.resolve("cpu.cfs_period_us"), Long.toString(period));
        writeIfPresent(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
      } else if (memory != null) {
        writeIfPresent(memory.resolve("cpu.max"), quota + " " + period);
      }
    }
    return new WorkerCgroup(version, groups, memory, pids);
  }

  private static void writeIfPresent(Path file, String value) {
    if (Files.exists(file)) {
      try {
        Files.writeString(file, value);
      } catch (IOException e) {
        // Optional knob (swap accounting off, no cpu controller): the posture reports what holds.
      }
    }
  }

  /** The groups of one worker. */
  static final class WorkerCgroup {
    private final Version version;
    private final List<Path> groups;
    private final Path memory;
    private final Path pids;

    WorkerCgroup(Version version, List<Path> groups, Path memory, Path pids) {
      this.version = version;
      this.groups = List.copyOf(groups);
      this.memory = memory;
      this.pids = pids;
    }

    /** The memory limit as the kernel reports it back, if this group has one. */
    Optional<String> memoryLimit() {
      return memory == null ? Optional.empty()
          : readLimit(memory.resolve(version == Version.V1 ? "memory.limit_in_bytes" : "memory.max"));
    }

    /** {@code pids.max} as the kernel reports it back, if this group has one. */
    Optional<String> pidsLimit() {
      return pids == null ? Optional.empty() : readLimit(pids.resolve("pids.max"));
    }

    /** The CPU quota as the kernel reports it back ({@code quota period}), if this group has one. */
    Optional<String> cpuLimit() {
      for (Path group : groups) {
        if (version == Version.V2) {
          return readLimit(group.resolve("cpu.max"));
        }
        if (Files.exists(group.resolve("cpu.cfs_quota_us"))) {
          return readLimit(group.resolve("cpu.cfs_quota_us"))
              .flatMap(q -> readLimit(group.resolve("cpu.cfs_period_us")).map(p -> q + " " + p));
        }
      }
      return Optional.empty();
    }

    private static Optional<String> readLimit(Path file) {
      try {
        return Optional.of(Files.readString(file).trim());
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    /** The {@code cgroup.procs} files a launcher writes its own pid into before it execs the worker. */
    List<Path> procsFiles() {
      return groups.stream().map(g -> g.resolve("cgroup.procs")).toList();
    }

    /** The OOM kill counted by the kernel, if any: detected, not guessed from an exit code. */
    Optional<String> oomKill() {
      if (memory == null) {
        return Optional.empty();
      }
      Path file = memory.resolve(version == Version.V1 ? "memory.oom_control" : "memory.events");
      long kills = counter(file, "oom_kill");
      return kills > 0 ? Optional.of("memory: the worker was OOM-killed by its cgroup (" + file + ": oom_kill "
          + kills + ")") : Optional.empty();
    }

    /** How often a fork or thread start was refused by {@code pids.max}. */
    long pidsRefusals() {
      return pids == null ? 0 : counter(pids.resolve("pids.events"), "max");
    }

    /** Every process still in the groups: the worker's whole tree, whatever it forked. */
    List<Long> members() {
      List<Long> pidsFound = new ArrayList<>();
      for (Path group : groups) {
        try {
          for (String line : Files.readAllLines(group.resolve("cgroup.procs"))) {
            if (!line.isBlank()) {
              pidsFound.add(Long.parseLong(line.trim()));
            }
          }
        } catch (IOException | NumberFormatException e) {
          // Group already gone.
        }
      }
      return pidsFound;
    }

    /** Removes the groups; false while processes remain in them. */
    boolean remove() {
      boolean all = true;
      for (Path group : groups) {
        try {
          Files.deleteIfExists(group);
        } catch (IOException e) {
          all = false;
        }
      }
      return all;
    }

    private static long counter(Path file, String key) {
      try {
        for (String line : Files.readAllLines(file)) {
          String[] parts = line.trim().split("\\s+");
          if (parts.length == 2 && parts[0].equals(key)) {
            return Long.parseLong(parts[1]);
          }
        }
      } catch (IOException | NumberFormatException e) {
        // Counter not offered by this kernel.
      }
      return 0;
    }
  }
}
