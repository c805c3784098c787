package dev.airlock.internal.local;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts the local backend's worker processes, all from one thread that lives as long as the JVM. bubblewrap's
 * {@code --die-with-parent} is {@code PR_SET_PDEATHSIG}, which Linux fires when the <em>thread</em> that started the
 * process ends, not when the process does: a worker started on a caller's thread, or on a pooled launcher thread
 * that idles out after a minute, was killed with that thread, in the middle of another thread's call when reused.
 * Started here, a worker dies with the JVM, as the flag intends, and otherwise only when the pool ends it.
 */
final class ProcessSpawner {
  private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(task -> {
    Thread thread = new Thread(task, "airlock-process-spawner");
    thread.setDaemon(true);
    return thread;
  });

  private ProcessSpawner() {
  }

  /**
   * {@link ProcessBuilder#start()} on the spawner thread. Waits without giving up on an interrupt (a start takes
   * milliseconds, and a process started for a caller that stopped waiting would be left running); the caller's
   * interrupt status is kept.
   */
  static Process start(ProcessBuilder builder) throws IOException {
    Future<Process> started = SPAWNER.submit(builder::start);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return started.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof IOException io) {
            throw io;
          }
          if (e.getCause() instanceof RuntimeException runtime) {
            throw runtime;
          }
          throw new IOException("could not start " + builder.command().get(0), e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
