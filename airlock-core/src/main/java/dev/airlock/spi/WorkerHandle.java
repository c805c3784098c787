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
}
