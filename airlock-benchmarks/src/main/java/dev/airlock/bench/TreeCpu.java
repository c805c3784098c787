package dev.airlock.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * CPU time of this JVM and of every process it starts (workers, their launchers), from {@code /proc/<pid>/stat}:
 * user and system time of each, sampled every 20 ms while it lives, so a worker that is killed (never reaped into
 * anyone's child time) still counts with what it used up to its last sample. Processes that already ran at the start
 * count from there, and the sampler's own CPU (listing {@code /proc}) is left out. Resolution: the kernel's clock
 * tick (10 ms) per process.
 */
final class TreeCpu {
  private static final long NANOS_PER_TICK = 10_000_000L;

  private final Map<Long, Long> first = new ConcurrentHashMap<>();
  private final Map<Long, Long> last = new ConcurrentHashMap<>();
  private final Thread sampler;
  private volatile boolean running = true;
  private volatile long samplerNanos;

  private TreeCpu() {
    sample();
    first.putAll(last);
    sampler = new Thread(() -> {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long own = threads.getCurrentThreadCpuTime();
      while (running) {
        sample();
        samplerNanos = threads.getCurrentThreadCpuTime() - own;
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "tree-cpu");
    sampler.setDaemon(true);
  }

  static TreeCpu start() {
    TreeCpu cpu = new TreeCpu();
    cpu.sampler.start();
    return cpu;
  }

  /** CPU used since the start by this JVM and every process it started meanwhile or had running, in ns. */
  long stopNanos() throws InterruptedException {
    running = false;
    sampler.join();
    sample();
    long ticks = 0;
    for (Map.Entry<Long, Long> e : last.entrySet()) {
      ticks += e.getValue() - first.getOrDefault(e.getKey(), 0L);
    }
    return ticks * NANOS_PER_TICK - samplerNanos;
  }

  private void sample() {
    Set<Long> pids = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    pids.add(ProcessHandle.current().pid());
    Map<Long, Long> now = new HashMap<>();
    for (long pid : pids) {
      long ticks = ticks(pid);
      if (ticks >= 0) {
        now.put(pid, ticks);
      }
    }
    now.forEach((pid, ticks) -> last.merge(pid, ticks, Math::max));
  }

  /** utime + stime of {@code pid} in clock ticks; -1 when it is gone. */
  private static long ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
