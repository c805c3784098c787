package dev.airlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * CPU time of a process and of every process it starts (workers, their launchers), from {@code /proc/<pid>/stat}:
 * user and system time of each, sampled every 20 ms while it lives, so a worker that is killed (never reaped into
 * anyone's child time) still counts with what it used up to its last sample. Processes that already ran at the start
 * count from there. Resolution: the kernel's clock tick (10 ms) per process. Run from another JVM than the one
 * measured ({@link AgentScenarios} measures its child): listing every process of the machine each 20 ms made this
 * sampler the measured JVM's busiest thread (480 of 690 ms in 14 s of the reused scenario), and the JIT and GC work
 * it caused there counted as the calls' CPU.
 */
final class TreeCpu {
  private static final long NANOS_PER_TICK = 10_000_000L;

  private final Map<Long, Long> first = new ConcurrentHashMap<>();
  private final Map<Long, Long> last = new ConcurrentHashMap<>();
  private final ProcessHandle root;
  private final Thread sampler;
  private volatile boolean running = true;

  private TreeCpu(ProcessHandle root) {
    this.root = root;
    sample();
    first.putAll(last);
    sampler = new Thread(() -> {
      while (running) {
        sample();
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "tree-cpu");
    sampler.setDaemon(true);
  }

  /** Starts measuring {@code root}, another process than this one, and its descendants. */
  static TreeCpu start(ProcessHandle root) {
    TreeCpu cpu = new TreeCpu(root);
    cpu.sampler.start();
    return cpu;
  }

  /** CPU used since the start by the root and every process it started meanwhile or had running, in ns. */
  long stopNanos() throws InterruptedException {
    running = false;
    sampler.join();
    sample();
    long ticks = 0;
    for (Map.Entry<Long, Long> e : last.entrySet()) {
      ticks += e.getValue() - first.getOrDefault(e.getKey(), 0L);
    }
    return ticks * NANOS_PER_TICK;
  }

  private void sample() {
    Set<Long> pids = root.descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    pids.add(root.pid());
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
