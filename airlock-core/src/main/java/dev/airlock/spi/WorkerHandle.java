package dev.airlock.spi;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/** One running worker as its backend sees it: a byte channel plus life and death. */
public interface WorkerHandle {

  /** Short id for logs: a pid, a container id, a sandbox id. */
  String id();

  /** Bytes from the worker (frames). */
  InputStream input();

  /** Bytes to the worker (frames). */
  OutputStream output();

  boolean isAlive();

  /**
   * Kills the worker and everything it started, and frees what the backend holds for it. Idempotent; never throws.
   * Blocked reads on {@link #input()} fail once it returns.
   */
  void kill();

  /**
   * After the worker died: the resource limit that killed it, as detected by the backend (an OOM kill recorded by
   * the cgroup or the engine), or empty when no limit was hit.
   */
  Optional<String> resourceLimitHit();

  /** After the worker died: how it ended, for error messages ("exit code 1", "killed by signal 9"). */
  String describeExit();

  /**
   * Called once by a pool that reuses workers, when the worker has said hello and before it is sent any call, so
   * before any guest code ran in it: a backend that can prove idleness records here what the worker holds (its
   * threads, its processes). A failure here only means the worker is never reused.
   */
  default void ready() {
  }

  /**
   * Whether the backend can prove, from outside the worker, that nothing of an earlier call still runs in it: no
   * thread beyond those it had when {@link #ready()} was called, no process it did not start with. Nothing the worker
   * says counts (guest code owns the worker, its classes included). A reused worker goes back to the pool only when
   * this is true; the default, "cannot prove", means it is never given a second call. Called after every call, on
   * the caller's thread, so it must be cheap.
   */
  default boolean provablyIdle() {
    return false;
  }
}
