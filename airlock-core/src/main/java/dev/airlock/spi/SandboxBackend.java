package dev.airlock.spi;

import dev.airlock.IsolationPosture;

/**
 * Where workers run. A backend launches worker JVMs and connects a byte channel to each; the pool speaks the wire
 * protocol over it. The same pool, protocol and codec serve every backend.
 */
public interface SandboxBackend extends AutoCloseable {

  String name();

  /** What this backend enforces on this machine, measured at start. */
  IsolationPosture posture();

  /**
   * Starts one worker with the given heap and returns once its channel is connected (the handshake is the pool's).
   * Throws {@link dev.airlock.SandboxUnavailableException} when no worker can be started.
   */
  WorkerHandle launch(WorkerSpec spec);

  /**
   * Throws {@link dev.airlock.SandboxUnavailableException} when the backend as a whole cannot be had right now (the
   * engine does not answer, the provider's API is unreachable or refuses the key), decided by nothing a guest can
   * influence. The pool asks after a launch failed: only then may a call that is not required run on the host. A
   * launch that failed while this returns is that worker's failure, and the call fails. The default: never
   * unavailable once created (a local backend).
   */
  default void probe() {
  }

  /** Releases what the backend holds; workers are killed by the pool before. */
  @Override
  void close();
}
