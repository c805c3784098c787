package dev.airlock.internal.local;

import dev.airlock.internal.backend.ConsoleTail;
import dev.airlock.internal.backend.EgressControl;
import dev.airlock.internal.backend.WorkerEgress;
import dev.airlock.spi.WorkerHandle;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker process of the local backend: the launcher process, the pipes of its channel (the process's stdin and
 * stdout, which the launcher moves to descriptors 3 and 4), its cgroup, and its console (the process's stderr).
 */
final class LocalWorker implements WorkerHandle, EgressControl.Source {
  private static final Logger LOG = LoggerFactory.getLogger(LocalWorker.class);

  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final String id;
  private final Process process;
  private final Cgroups.WorkerCgroup cgroup;
  private final ConsoleTail console;
  private final AtomicBoolean killed = new AtomicBoolean();
  private volatile IdleProof idleProof;
  /** The worker's egress gate, or null when its pool has no egress; closed when the worker is killed. */
  private final EgressControl egress;

  LocalWorker(String id, Process process, Cgroups.WorkerCgroup cgroup) {
    this.egress = null;
    this.id = id;
    this.process = process;
    this.cgroup = cgroup;
    this.console = ConsoleTail.drain(process.getErrorStream(), "airlock-console-" + id,
        line -> LOG.debug("worker {} console: {}", id, line));
  }

  /** {@code started}, just started and not yet handed out, with its egress. */
  LocalWorker(LocalWorker started, EgressControl egress) {
    this.egress = egress;
    this.id = started.id;
    this.process = started.process;
    this.cgroup = started.cgroup;
    this.console = started.console;
  }

  /** What reached the process's own stdout/stderr (the JVM's, not user code's): kept for error messages. */
  String consoleTail() {
    return console.text();
  }

  Process process() {
    return process;
  }

  /** The worker's cgroups, or null when none was writable. */
  Cgroups.WorkerCgroup cgroup() {
    return cgroup;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public InputStream input() {
    return process.getInputStream();
  }

  @Override
  public OutputStream output() {
    return process.getOutputStream();
  }

  @Override
  public boolean isAlive() {
    return !killed.get() && process.isAlive();
  }

  @Override
  public void kill() {
    if (!killed.compareAndSet(false, true)) {
      return;
    }
    // Not closing the pipes first: a writer blocked on a full pipe holds the stream's lock. The kill ends both.
    List<ProcessHandle> signalled = new ArrayList<>(process.descendants().toList());
    signalled.add(process.toHandle());
    if (cgroup != null) {
      for (long pid : cgroup.members()) {
        ProcessHandle.of(pid).ifPresent(signalled::add);
      }
    }
    signalled.forEach(ProcessHandle::destroyForcibly);
    IdleProof proof = idleProof;
    if (proof != null) {
      proof.close();
    }
    awaitExit(signalled);
    awaitReaped();
    if (egress instanceof AutoCloseable gate) {
      WorkerEgress.closeQuietly(gate);
    }
    if (cgroup != null) {
      removeCgroupWhenEmpty();
    }
  }

  /**
   * Waits for the JVM too, not only the launcher: the JVM is a grandchild behind bubblewrap, and a caller that has
   * killed a worker must not find it still running. Polled, because {@link ProcessHandle#onExit()} of a process that
   * is not our child polls every 300 ms and never completes for a zombie nobody reaps.
   */
  private void awaitExit(List<ProcessHandle> processes) {
    long deadline = System.nanoTime() + KILL_WAIT.toNanos();
    for (ProcessHandle handle : processes) {
      while (isRunning(handle)) {
        if (System.nanoTime() > deadline) {
          LOG.warn("worker {} process {} still runs {} s after being killed", id, handle.pid(), KILL_WAIT.toSeconds());
          return;
        }
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /**
   * The launcher is this JVM's own child: once it has exited, the JDK's reaper thread collects it, soon but not at
   * once. Waiting for that leaves no zombie of ours in the process table when {@link #kill} returns; one was seen by a
   * test that lists this JVM's descendants right after its pool closed (a CI run of GuestTextInExceptionsTest).
   */
  private void awaitReaped() {
    if (isRunning(process.toHandle())) {
      return;
    }
    try {
      process.waitFor(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** False for a zombie: it runs no code and holds no memory, and its reaper may be a pid 1 that never reaps. */
  private static boolean isRunning(ProcessHandle handle) {
    if (!handle.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException | RuntimeException e) {
      return handle.isAlive();
    }
  }

  private void removeCgroupWhenEmpty() {
    for (int attempt = 0; attempt < 50; attempt++) {
      if (cgroup.remove()) {
        return;
      }
      for (long pid : cgroup.members()) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.warn("cgroup of worker {} could not be removed; processes may remain: {}", id, cgroup.members());
  }

  /** Proves idleness from /proc and the cgroup: see {@link IdleProof}. */
  @Override
  public void ready() {
    idleProof = IdleProof.take(process.toHandle(), cgroup == null ? null : cgroupTasks(cgroup.procsFiles()));
    if (idleProof == null) {
      LOG.debug("worker {}: idleness cannot be proven; it is not reused", id);
    }
  }

  /**
   * The cgroup file that changes with any task started in the worker: {@code pids.current} of its pids group (an
   * atomic counter, cheap to read), else its {@code cgroup.procs} (built under the cgroup lock on every read).
   */
  private static Path cgroupTasks(List<Path> procsFiles) {
    return procsFiles.stream().map(procs -> procs.resolveSibling("pids.current")).filter(Files::exists).findFirst()
        .orElse(procsFiles.get(0));
  }

  @Override
  public boolean provablyIdle() {
    IdleProof proof = idleProof;
    return proof != null && isAlive() && proof.holds();
  }

  @Override
  public Optional<EgressControl> egressControl() {
    return Optional.ofNullable(egress);
  }

  @Override
  public Optional<String> resourceLimitHit() {
    return cgroup == null ? Optional.empty() : cgroup.oomKill();
  }

  @Override
  public String describeExit() {
    try {
      if (!process.waitFor(2, TimeUnit.SECONDS)) {
        return "still running";
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
    int code = process.exitValue();
    String how = code > 128 ? "killed by signal " + (code - 128) : "exit code " + code;
    String tail = consoleTail();
    return tail.isEmpty() ? how : how + "; console: " + tail;
  }
}
