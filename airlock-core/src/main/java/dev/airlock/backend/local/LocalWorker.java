package dev.airlock.backend.local;

import dev.airlock.backend.ConsoleTail;
import dev.airlock.backend.WorkerHandle;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker process of the local backend: the launcher process, the pipes of its channel (the process's stdin and
 * stdout, which the launcher moves to descriptors 3 and 4), its cgroup, and its console (the process's stderr).
 */
final class LocalWorker implements WorkerHandle {
  private static final Logger LOG = LoggerFactory.getLogger(LocalWorker.class);

  private final String id;
  private final Process process;
  private final Cgroups.WorkerCgroup cgroup;
  private final ConsoleTail console;
  private final AtomicBoolean killed = new AtomicBoolean();

  LocalWorker(String id, Process process, Cgroups.WorkerCgroup cgroup) {
    this.id = id;
    this.process = process;
    this.cgroup = cgroup;
    this.console = ConsoleTail.drain(process.getErrorStream(), "airlock-console-" + id,
        line -> LOG.debug("worker {} console: {}", id, line));
  }

  /** What reached the process's own stdout/stderr (the JVM's, not user code's): kept for error messages. */
  String consoleTail() {
    return console.text();
  }

  Process process() {
    return process;
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
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    if (cgroup != null) {
      for (long pid : cgroup.members()) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (cgroup != null) {
      removeCgroupWhenEmpty();
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
