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
   * {@code RLIMIT_NOFILE} of a worker whose classpath is no longer than usual. The kernel refuses a process to pass
   * descriptors over a Unix socket ({@code SCM_RIGHTS}) once its user's count of descriptors in flight is above the
   * sender's own limit: with the host's 20,000 a guest put 20,240 in flight and every other process of the user was
   * refused. Under this one a guest holds at most {@link #filesInFlight} of it, so a process of the user running at
   * the usual soft limit of 1,024, or above, can still pass its own.
   */
  public static final int FILES_OPEN = 768;

  /**
   * Descriptors a worker may need besides its classpath: the JDK's own files, its channel, a tool's files and
   * sockets.
   */
  static final int FILES_BESIDES_CLASSPATH = 256;

  /** What a guest can put in flight past its limit: one message's worth ({@code SCM_MAX_FD}, 253). */
  private static final int ONE_MESSAGE = 253;

  /**
   * {@code RLIMIT_MEMLOCK}, in bytes: none. Shared memory locked with {@code shmctl(SHM_LOCK)} counts against one
   * budget for all the user's processes together, bounded by the locker's own limit: a guest locked the user's whole
   * 8 MiB and the user's other processes could lock no page. A JVM locks no memory.
   */
  public static final long LOCKED_BYTES = 0;

  private WorkerLimits() {
  }

  /**
   * {@code RLIMIT_NOFILE} for workers of a classpath of {@code classpathEntries}: {@link #FILES_OPEN}, or more for a
   * long classpath. The JVM holds every jar it has searched open, one descriptor each, and a lookup that runs out of
   * them is a plain {@code ClassNotFoundException} (measured: a class in the last of 800 jars under 768). So such a
   * classpath raises the limit, and what a guest can put in flight with it, by one per entry.
   */
  public static int filesOpen(int classpathEntries) {
    return Math.max(FILES_OPEN, classpathEntries + FILES_BESIDES_CLASSPATH);
  }

  /** What a guest can put in flight under a limit of {@code filesOpen}: the limit, and one message past it. */
  public static int filesInFlight(int filesOpen) {
    return filesOpen + ONE_MESSAGE;
  }
}
