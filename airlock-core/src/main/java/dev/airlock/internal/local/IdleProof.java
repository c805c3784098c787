package dev.airlock.internal.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * The host's proof that a local worker runs nothing of an earlier call, read from {@code /proc} and the worker's
 * cgroup, never from the worker (guest code owns the worker JVM, its classes included). Taken when the worker is
 * ready, before any guest code ran in it; it holds while
 *
 * <ul>
 *   <li>every thread the JVM had then that guest code could make exit is still the same thread: a descriptor on its
 *       {@code comm} file is opened at the ready point, and the kernel fails reads on it once that thread has exited,
 *       even when a new thread got its id again (thread ids wrap at {@code pid_max}, 32768 here, which a guest can
 *       cycle through in a second);
 *   <li>the JVM has as many threads as then, so with the above there is no other thread;
 *   <li>the sandbox has the processes it had then: the worker's cgroup counts as many tasks ({@code pids.current};
 *       with the JVM's threads pinned above, one more is another process) or lists the same processes, or, without
 *       a cgroup, every thread of the sandbox's process tree has the same children (an orphan is adopted inside the
 *       tree: by the PID namespace's init, or by a subreaper the guest made of the JVM).
 * </ul>
 *
 * Without namespaces and without a cgroup an orphan leaves the tree for the host's init, so nothing can be proven and
 * {@link #take} returns null. The check is a fixed set of reads from offset 0 on descriptors opened once: with a
 * cgroup, about ten. It runs on the caller's thread after every call of a reused worker, mostly interpreted (a call
 * every few seconds never gets it compiled), so each read is a seek and a read straight into one kept array (two
 * native calls), and nothing is copied or parsed into strings: through {@code FileChannel} positional reads into a
 * heap buffer (a temporary direct buffer, the channel's thread bookkeeping) and a {@code String.split} of the stat
 * line it took 170-400 us of CPU per call.
 *
 * <p>What it cannot see: guest code parked on one of the JVM's own threads (a finalizer, a cleaner action, a GC
 * notification listener, a signal handler) adds no thread and no process. That is why a reused worker is also kept
 * to one trust domain (see {@code WorkerPool}).
 */
final class IdleProof implements AutoCloseable {
  private final RandomAccessFile jvmStat;
  private final int jvmThreads;
  private final List<RandomAccessFile> threadsAlive;
  private final List<RandomAccessFile> watched;
  private final List<byte[]> watchedAtReady;
  private static final int BUFFER_BYTES = 4096;
  /** As {@code /proc} shows them: cut at 15 characters. */
  private static final List<String> NATIVE_THREAD_PREFIXES = List.of("VM Thread", "GC Thread#", "G1 ",
      "VM Periodic Tas", "C1 CompilerThre", "C2 CompilerThre", "Monitor Deflati", "Sweeper thread", "Service Thread");

  private final byte[] buffer = new byte[BUFFER_BYTES];

  private IdleProof(RandomAccessFile jvmStat, int jvmThreads, List<RandomAccessFile> threadsAlive,
      List<RandomAccessFile> watched, List<byte[]> watchedAtReady) {
    this.jvmStat = jvmStat;
    this.jvmThreads = jvmThreads;
    this.threadsAlive = threadsAlive;
    this.watched = watched;
    this.watchedAtReady = watchedAtReady;
  }

  /**
   * The proof for the worker whose launcher is {@code launcher} (the sandbox's outermost process), with its cgroup's
   * {@code pids.current} or {@code cgroup.procs} file, or null; null when it cannot be taken (no single worker JVM in the tree, no namespace
   * and no cgroup, {@code /proc} unreadable). Taken before any guest code ran, so the tree is the one Airlock
   * started: without bubblewrap the launcher is the JVM itself, with it the JVM is the one leaf below.
   */
  static IdleProof take(ProcessHandle launcher, Path cgroupTasks) {
    List<ProcessHandle> tree = Stream.concat(Stream.of(launcher), launcher.descendants()).toList();
    if (cgroupTasks == null && tree.size() == 1) {
      return null;
    }
    List<ProcessHandle> leaves = tree.stream()
        .filter(p -> tree.stream().noneMatch(c -> c.parent().map(ProcessHandle::pid).orElse(-1L) == p.pid()))
        .toList();
    if (leaves.size() != 1) {
      return null;
    }
    long jvm = leaves.get(0).pid();
    List<RandomAccessFile> opened = new ArrayList<>();
    try {
      RandomAccessFile stat = open(Path.of("/proc", Long.toString(jvm), "stat"), opened);
      List<RandomAccessFile> alive = new ArrayList<>();
      String[] tids = tasks(jvm);
      for (String tid : tids) {
        Path comm = Path.of("/proc", Long.toString(jvm), "task", tid, "comm");
        if (!isNativeJvmThread(Files.readString(comm).strip())) {
          alive.add(open(comm, opened));
        }
      }
      List<RandomAccessFile> watched = new ArrayList<>();
      if (cgroupTasks != null) {
        watched.add(open(cgroupTasks, opened));
      } else {
        for (ProcessHandle p : tree) {
          for (String tid : tasks(p.pid())) {
            watched.add(open(Path.of("/proc", Long.toString(p.pid()), "task", tid, "children"), opened));
          }
        }
      }
      byte[] buffer = new byte[BUFFER_BYTES];
      int threads = threads(buffer, read(stat, buffer));
      List<byte[]> atReady = new ArrayList<>();
      for (RandomAccessFile file : watched) {
        atReady.add(Arrays.copyOf(buffer, read(file, buffer)));
      }
      if (threads != tids.length) {
        opened.forEach(IdleProof::closeQuietly);
        return null;
      }
      return new IdleProof(stat, threads, alive, watched, atReady);
    } catch (IOException | RuntimeException e) {
      opened.forEach(IdleProof::closeQuietly);
      return null;
    }
  }

  /** True only when every part of the proof holds now. */
  synchronized boolean holds() {
    try {
      if (threads(buffer, read(jvmStat, buffer)) != jvmThreads) {
        return false;
      }
      for (RandomAccessFile thread : threadsAlive) {
        if (read(thread, buffer) <= 0) {
          return false;
        }
      }
      for (int i = 0; i < watched.size(); i++) {
        byte[] atReady = watchedAtReady.get(i);
        if (!Arrays.equals(buffer, 0, read(watched.get(i), buffer), atReady, 0, atReady.length)) {
          return false;
        }
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Field 20 of {@code /proc/<pid>/stat} in its first {@code length} bytes, counted after the command name, which
   * may hold spaces and parentheses; -1 when the process is gone or the field is not a number.
   */
  static int threads(byte[] stat, int length) {
    int end = length - 1;
    while (end >= 0 && stat[end] != ')') {
      end--;
    }
    if (end < 0) {
      return -1;
    }
    // After ") ": field 3 is the first; field 20 follows 17 more spaces.
    int i = end + 2;
    for (int spaces = 0; spaces < 17 && i < length; i++) {
      if (stat[i] == ' ') {
        spaces++;
      }
    }
    long value = 0;
    int digits = 0;
    for (; i < length && stat[i] >= '0' && stat[i] <= '9' && digits < 9; i++, digits++) {
      value = value * 10 + (stat[i] - '0');
    }
    return digits == 0 || (i < length && stat[i] != ' ' && stat[i] != '\n') ? -1 : (int) value;
  }

  /**
   * The whole content, read from offset 0 into {@code buffer} in one read (procfs and cgroupfs make it afresh and
   * hand it over whole); its length, 0 when empty. A thread's file fails the read once the thread has exited.
   */
  private static int read(RandomAccessFile file, byte[] buffer) throws IOException {
    file.seek(0);
    int n = file.read(buffer, 0, buffer.length);
    if (n >= buffer.length) {
      throw new IOException("too large to compare");
    }
    return Math.max(n, 0);
  }

  /**
   * Threads of HotSpot itself (named at the ready point, before guest code could rename anything), which run no Java
   * code, so guest code cannot make them exit (the JVM delivers no asynchronous exception to them). Only the others
   * can exit and have their id taken by a new thread, so only they need a descriptor each: the check stays at a few
   * reads.
   */
  private static boolean isNativeJvmThread(String name) {
    return name.equals("java") || NATIVE_THREAD_PREFIXES.stream().anyMatch(name::startsWith);
  }

  private static String[] tasks(long pid) throws IOException {
    String[] tids = Path.of("/proc", Long.toString(pid), "task").toFile().list();
    if (tids == null) {
      throw new IOException("process " + pid + " is gone");
    }
    return tids;
  }

  private static RandomAccessFile open(Path file, List<RandomAccessFile> opened) throws IOException {
    RandomAccessFile opening = new RandomAccessFile(file.toFile(), "r");
    opened.add(opening);
    return opening;
  }

  @Override
  public synchronized void close() {
    closeQuietly(jvmStat);
    threadsAlive.forEach(IdleProof::closeQuietly);
    watched.forEach(IdleProof::closeQuietly);
  }

  private static void closeQuietly(RandomAccessFile file) {
    try {
      file.close();
    } catch (IOException e) {
      // Nothing left to release.
    }
  }
}
