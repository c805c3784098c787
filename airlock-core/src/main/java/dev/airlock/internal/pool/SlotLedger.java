package dev.airlock.internal.pool;

import dev.airlock.SandboxExecutionException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Every count of a {@link WorkerPool}, under one lock, and the only code that changes them. The pool's drivers
 * (starting threads, kills, maintenance, close) do the slow work outside and report back through the transitions
 * below; the ledger decides, they act.
 *
 * <p>A slot is one worker JVM, container or VM that exists or is about to: it is {@code idle} (waiting for a call),
 * {@code busy} (in a call), {@code starting} (decided, not yet handshaken) or {@code dying} (taken out, its kill not
 * finished). Invariants, checked after every transition ({@link #checkInvariants()}):
 * <ol>
 *   <li>{@code idle + busy + starting + dying <= maxSize}: a slot is counted from the moment a start is decided until
 *       its kill has finished, so a replacement never runs beside a JVM that still holds its memory. Each of the
 *       four commits before this class fixed one way to break this (a single-use worker uncounted between busy and
 *       dying, a discarded worker uncounted while its kill ran, warm starts counted only when they began).</li>
 *   <li>No count is negative; a worker is in at most one of {@code idle} and {@code busy}.</li>
 *   <li>Once closed, nothing becomes idle: returned and late-started workers are killed.</li>
 *   <li>An idle worker is handed only to a call of the scope it already ran (or to any call before its first).</li>
 * </ol>
 * Every kill decided here goes through {@link Drivers#kill} and ends in {@link #killed}; every start counted here
 * ends in {@link #started}, then {@link #startFailed} if that was refused, or {@link #startFailed} alone.
 */
final class SlotLedger<W extends SlotLedger.Occupant> {

  /** What the ledger needs to know of a worker. */
  interface Occupant {
    /** Alive and not broken. */
    boolean usable();

    /** The trust domain whose calls it ran, {@code null} before its first. */
    Object scope();

    void bindTo(Object scope);

    long idleNanos();
  }

  /** The slow work the ledger decides and others carry out; called under the ledger's lock, so they only hand off. */
  interface Drivers<W> {
    /**
     * Kills {@code worker} off this thread, then calls {@link SlotLedger#killed}. {@code afterCall}: the worker's call
     * just returned, another worker waits idle for the next call and no caller waits for a slot, so the kill may wait
     * until that call's caller is done with its result, as {@link #startWarm} may.
     */
    void kill(W worker, boolean afterCall);

    /**
     * Starts {@code count} warm workers off this thread, already counted as starting. {@code afterCall}: a call just
     * returned and another worker waits idle for the next one, so the start may wait until that call's caller is done
     * with its result (a JVM starting takes a core).
     */
    void startWarm(int count, boolean afterCall);

    /** False while the backend is in its retry window after failing to be created: no warm starts then. */
    boolean mayStartWarm();
  }

  /** Every slot stayed busy until the caller's deadline. */
  static final class Exhausted extends RuntimeException {
    Exhausted() {
      super(null, null, false, false);
    }
  }

  private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final int minSize;
  private final int maxSize;
  private final boolean reuse;
  private final Drivers<W> drivers;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Deque<W> idle = new ArrayDeque<>();
  private final Set<W> busy = new HashSet<>();
  private int starting;
  private int dying;
  /** Callers waiting in {@link #acquire}: that many starting workers are already promised to someone. */
  private int waiting;
  /** Written under the lock, read without it by {@link #isClosed()}. */
  private volatile boolean closed;

  SlotLedger(int minSize, int maxSize, boolean reuse, Drivers<W> drivers) {
    if (minSize < 0 || maxSize < 1 || minSize > maxSize) {
      throw new IllegalArgumentException("pool sizes need 0 <= min-size <= max-size and max-size >= 1, got min-size "
          + minSize + ", max-size " + maxSize);
    }
    this.minSize = minSize;
    this.maxSize = maxSize;
    this.reuse = reuse;
    this.drivers = drivers;
  }

  /**
   * A worker for one call of trust domain {@code scope}: an idle one (moved to busy and bound to the scope), or
   * {@code null} when a start slot was reserved for the caller, who must end it with {@link #started} or
   * {@link #startFailed}. Waits until {@code deadline} (nanoTime) while every slot is taken.
   *
   * @throws Exhausted when all slots stayed taken until the deadline
   * @throws SandboxExecutionException once the pool is closed
   */
  W acquire(Object scope, long deadline) {
    while (true) {
      W worker = reserve(scope, deadline);
      // Asked outside the lock that every acquire and release takes: a backend may ask its engine whether a worker
      // lives (Docker: an engine call of up to 30 s), and every other caller, returning ones included, waited for
      // the answer (SlowLivenessCheckTest).
      if (worker == null || worker.usable()) {
        return worker;
      }
      dropTaken(worker);
    }
  }

  /** As {@link #acquire}, but an idle worker is handed out without asking whether it still lives. */
  private W reserve(Object scope, long deadline) {
    lock.lock();
    try {
      while (true) {
        if (closed) {
          throw closedError();
        }
        W worker = takeIdle(scope);
        if (worker != null) {
          worker.bindTo(scope);
          busy.add(worker);
          if (reuse) {
            // A single-use worker is replaced once its call returns: a JVM starting beside the call would take the
            // CPU the call needs (1.5 ms of a 4 ms call on two cores), and gain nothing a call later.
            replenishIfShort();
          }
          checkInvariants();
          return worker;
        }
        // Workers already starting (warm ones included) go to callers that wait, before anyone starts one more.
        if (starting > waiting && waitUntil(deadline)) {
          continue;
        }
        if (total() < maxSize) {
          starting++;
          checkInvariants();
          return null;
        }
        W another = idle.pollLast();
        if (another != null) {
          // Idle, but it ran another trust domain's calls: it makes room for a fresh worker.
          discard(another);
          continue;
        }
        if (!waitUntil(deadline)) {
          throw new Exhausted();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * A worker {@link #reserve} handed out that is dead: out of busy and counted as dying in one step (in between, a
   * waiting caller would see a free slot and start a JVM beside it), then replaced if the pool is short.
   */
  private void dropTaken(W worker) {
    lock.lock();
    try {
      busy.remove(worker);
      discard(worker);
      replenishIfShort();
      checkInvariants();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The first idle worker that is fresh or already bound to {@code scope}, not yet asked whether it lives (the caller
   * asks outside the lock; maintenance discards dead ones).
   */
  private W takeIdle(Object scope) {
    for (var it = idle.iterator(); it.hasNext();) {
      W worker = it.next();
      if (worker.scope() == null || worker.scope().equals(scope)) {
        it.remove();
        return worker;
      }
    }
    return null;
  }

  /** Not "unavailable": a closed pool must never make a call fall back to the host. */
  static SandboxExecutionException closedError() {
    return new SandboxExecutionException("the pool is closed; no call runs through it any more");
  }

  private boolean waitUntil(long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    waiting++;
    try {
      changed.awaitNanos(Math.min(left, MAX_WAIT_NANOS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxExecutionException("interrupted while waiting for a worker", e);
    } finally {
      waiting--;
    }
    return true;
  }

  /**
   * A counted start finished with a handshaken worker: it goes to its caller ({@code forCaller}, as busy) or waits
   * idle. False when the pool closed meanwhile: the worker is still counted as starting, so close() waits for it;
   * the starter kills it and then calls {@link #startFailed}.
   */
  boolean started(W worker, boolean forCaller) {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      starting--;
      if (forCaller) {
        busy.add(worker);
      } else {
        idle.addLast(worker);
      }
      changed.signalAll();
      checkInvariants();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** {@code count} counted starts ended without a worker in the pool (failed, abandoned, or killed after close). */
  void startFailed(int count) {
    lock.lock();
    try {
      starting -= count;
      changed.signalAll();
      checkInvariants();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A counted start whose worker was launched but failed before it could serve (its handshake): counted as dying in
   * the same step and handed to {@link Drivers#kill}, so its slot is free only once the worker is gone.
   */
  void startFailedWith(W worker) {
    lock.lock();
    try {
      starting--;
      discard(worker);
      changed.signalAll();
      checkInvariants();
    } finally {
      lock.unlock();
    }
  }

  /** For a warm starter before each start: when closed, uncounts the {@code remaining} starts and says so. */
  boolean abandonIfClosed(int remaining) {
    lock.lock();
    try {
      if (!closed) {
        return false;
      }
      startFailed(remaining);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A worker's call returned. A {@code reusable} one (proven idle by its backend) waits for its scope's next call;
   * any other is counted as dying in this same step that takes it out of busy (in between, a waiting caller would
   * see a free slot and start a JVM beside this one) and handed to {@link Drivers#kill}.
   */
  void release(W worker, boolean reusable) {
    lock.lock();
    try {
      busy.remove(worker);
      if (reusable && !closed) {
        idle.addFirst(worker);
        changed.signalAll();
      } else {
        boolean afterCall = !idle.isEmpty() && waiting == 0;
        discard(worker, afterCall);
        replenishIfShort(afterCall);
      }
      checkInvariants();
    } finally {
      lock.unlock();
    }
  }

  /** A kill the ledger decided has finished: its slot is free. */
  void killed(W worker) {
    lock.lock();
    try {
      dying--;
      changed.signalAll();
      replenishIfShort();
      checkInvariants();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Maintenance: discards idle workers that died or waited longer than {@code idleTimeoutNanos} while the pool holds
   * more than {@code minSize}, then starts warm ones if short.
   */
  void evictAndReplenish(long idleTimeoutNanos) {
    List<W> listed;
    lock.lock();
    try {
      listed = new ArrayList<>(idle);
    } finally {
      lock.unlock();
    }
    // Asked outside the lock that every acquire and release takes: a backend may ask its engine whether a worker
    // lives (Docker: an engine call of up to 30 s), and all callers waited for each answer (SlowLivenessCheckTest).
    // A worker a caller takes meanwhile is asked again by that caller.
    Set<W> dead = Collections.newSetFromMap(new IdentityHashMap<>());
    for (W w : listed) {
      if (!w.usable()) {
        dead.add(w);
      }
    }
    lock.lock();
    try {
      for (var it = idle.iterator(); it.hasNext();) {
        W w = it.next();
        boolean expired = w.idleNanos() > idleTimeoutNanos && total() > minSize;
        if (dead.contains(w) || expired) {
          it.remove();
          discard(w);
        }
      }
      replenishIfShort();
      checkInvariants();
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock: counts {@code worker} as dying and hands it to the kill driver. */
  private void discard(W worker) {
    discard(worker, false);
  }

  private void discard(W worker, boolean afterCall) {
    dying++;
    drivers.kill(worker, afterCall);
  }

  /**
   * Under the lock: starts workers in the background when fewer than {@code minSize} are idle or starting. Checked
   * here rather than on a thread so a warm pool's calls do not each hand a task to another thread. They count as
   * starting at once, so a caller that comes next waits for them instead of starting one more of its own.
   */
  private void replenishIfShort() {
    replenishIfShort(false);
  }

  /** As above; {@code afterCall} as {@link Drivers#startWarm} says. */
  private void replenishIfShort(boolean afterCall) {
    if (closed || !drivers.mayStartWarm()) {
      return;
    }
    int missing = Math.min(minSize - idle.size() - starting, maxSize - total());
    if (missing > 0) {
      starting += missing;
      drivers.startWarm(missing, afterCall);
    }
  }

  /**
   * Closes the ledger: from now on nothing becomes idle and {@link #acquire} throws. Returns every idle and busy
   * worker for the pool to kill (busy ones' callers get an error; their release finds the ledger closed), or
   * {@code null} when it was closed already.
   */
  List<W> close() {
    lock.lock();
    try {
      if (closed) {
        return null;
      }
      closed = true;
      List<W> all = new ArrayList<>(idle);
      all.addAll(busy);
      idle.clear();
      changed.signalAll();
      checkInvariants();
      return all;
    } finally {
      lock.unlock();
    }
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Waits until no start is counted any more, or {@code deadline} (nanoTime); returns how many still are. A worker
   * started while the pool closed is killed by its starter, and the backend must outlive that kill.
   */
  int awaitNoneStarting(long deadline) throws InterruptedException {
    lock.lock();
    try {
      while (starting > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return starting;
        }
        changed.awaitNanos(left);
      }
      return 0;
    } finally {
      lock.unlock();
    }
  }

  /** Busy and idle workers, read together so a worker moving between them is never counted twice. */
  record Counts(int idle, int busy, int starting, int dying, int waiting) {
  }

  Counts counts() {
    lock.lock();
    try {
      return new Counts(idle.size(), busy.size(), starting, dying, waiting);
    } finally {
      lock.unlock();
    }
  }

  private int total() {
    return idle.size() + busy.size() + starting + dying;
  }

  /** Under the lock, after every transition: the invariants of the class comment that counting alone can break. */
  private void checkInvariants() {
    if (starting < 0 || dying < 0 || waiting < 0) {
      throw new IllegalStateException("negative count: " + describe());
    }
    if (total() > maxSize) {
      throw new IllegalStateException("more slots than max-size " + maxSize + ": " + describe());
    }
    if (closed && !idle.isEmpty()) {
      throw new IllegalStateException("idle workers in a closed pool: " + describe());
    }
  }

  private String describe() {
    return "idle " + idle.size() + ", busy " + busy.size() + ", starting " + starting + ", dying " + dying
        + ", waiting " + waiting;
  }
}
