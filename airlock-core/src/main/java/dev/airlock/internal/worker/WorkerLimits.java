package dev.airlock.internal.worker;

/**
 * Limits, soft and hard, that every local and Docker worker gets on kernel budgets it shares with the other processes
 * of its user: the host user's for a bubblewrap worker (it is that user in the kernel's books), the container's uid
 * for Docker (one per worker, unless {@code airlock.docker.user} names one that all its workers and the host's
 * processes of that uid share). The kernel keeps these budgets per user, so a local guest under the host user's own
 * limits took the whole of each, and the user's other processes were refused (attack review 36).
 */
public final class WorkerLimits {
  /**
   * {@code RLIMIT_NOFILE}. The kernel refuses a process to pass descriptors over a Unix socket ({@code SCM_RIGHTS})
   * once its user's count of descriptors in flight is above the sender's own limit: with the host's 20,000 a guest put
   * 20,240 in flight and every other process of the user was refused. Under this one a guest holds at most
   * {@link #FILES_IN_FLIGHT}, so a process of the user running at the usual soft limit of 1,024, or above, can still
   * pass its own; a worker JVM needs a few dozen descriptors and one per classpath jar.
   */
  public static final int FILES_OPEN = 768;

  /** What a guest can put in flight under {@link #FILES_OPEN}: the limit, and one message's 253 past it. */
  public static final int FILES_IN_FLIGHT = FILES_OPEN + 253;

  /**
   * {@code RLIMIT_MEMLOCK}, in bytes: none. Shared memory locked with {@code shmctl(SHM_LOCK)} counts against one
   * budget for all the user's processes together, bounded by the locker's own limit: a guest locked the user's whole
   * 8 MiB and the user's other processes could lock no page. A JVM locks no memory.
   */
  public static final long LOCKED_BYTES = 0;

  private WorkerLimits() {
  }
}
