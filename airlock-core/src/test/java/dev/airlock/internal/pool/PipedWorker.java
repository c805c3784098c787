package dev.airlock.internal.pool;

import dev.airlock.spi.WorkerHandle;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * A worker whose other end is a thread of the test, over piped streams: {@code side} reads what the host writes and
 * writes the worker's frames until it is killed, which closes every pipe as a dead process's would. Proven idle while
 * alive.
 */
class PipedWorker implements WorkerHandle {
  /** The worker's side of the pipes, played on a daemon thread; ends when the pipes close. */
  interface Side {
    void play(InputStream fromHost, OutputStream toHost) throws Exception;
  }

  private final String id;
  private final PipedInputStream fromWorker = new PipedInputStream(1 << 16);
  private final PipedInputStream toWorkerIn = new PipedInputStream(1 << 16);
  private final PipedOutputStream toWorker;
  private final PipedOutputStream workerOut;
  private volatile boolean alive = true;

  PipedWorker(String id, Side side) {
    this.id = id;
    try {
      this.toWorker = new PipedOutputStream(toWorkerIn);
      this.workerOut = new PipedOutputStream(fromWorker);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread thread = new Thread(() -> {
      try {
        side.play(toWorkerIn, workerOut);
      } catch (Exception ended) {
        // Killed: the host closed the pipes.
      }
    }, "piped-worker-" + id);
    thread.setDaemon(true);
    thread.start();
  }

  /** Called once, by the first kill. */
  void onKill() {
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public InputStream input() {
    return fromWorker;
  }

  @Override
  public OutputStream output() {
    return toWorker;
  }

  @Override
  public boolean isAlive() {
    return alive;
  }

  @Override
  public synchronized void kill() {
    if (!alive) {
      return;
    }
    alive = false;
    onKill();
    try {
      toWorker.close();
      // Ends the host's read as a dead process's pipe does, also of a worker that never wrote.
      workerOut.close();
      fromWorker.close();
      toWorkerIn.close();
    } catch (IOException ignored) {
      // Piped streams do not fail to close.
    }
  }

  @Override
  public Optional<String> resourceLimitHit() {
    return Optional.empty();
  }

  @Override
  public String describeExit() {
    return alive ? "running" : "killed";
  }

  @Override
  public boolean provablyIdle() {
    return alive;
  }
}
