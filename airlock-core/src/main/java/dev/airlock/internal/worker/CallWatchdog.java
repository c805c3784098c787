package dev.airlock.internal.worker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Layer one of the timeout, off the call's path: the call runs on the thread that read it, and this daemon sleeps
 * until the running call's deadline, then checks whether it passed. It does not poll (it polled 5-10 times a second:
 * ~0.7 ms of CPU a second per idle worker, measured from {@code /proc/<pid>/task/<tid>/schedstat}), and a call's start
 * wakes it only when that call's deadline comes before the wake-up it already has: after a call it keeps sleeping
 * until that call's deadline (once per timeout, 60 s by default), and a next call with the same timeout, whose
 * deadline is later, finds it asleep until a time that is still before that deadline. Woken then, it sees the
 * running call and sleeps on until its deadline. So a reused worker's call wakes one thread, the one that reads it,
 * as an echo does, instead of two. Exactly one of the call's own answer and the timeout wins: whoever claims the
 * running call first.
 */
final class CallWatchdog {
  private static final long NONE = 0;
  /** {@link #wakeAt} while parked with no deadline. */
  private static final long NEVER = Long.MAX_VALUE;

  private final AtomicLong running = new AtomicLong(NONE);
  private volatile long deadlineNanos;
  /**
   * When the watchdog wakes next ({@link System#nanoTime()}), or {@link #NEVER}. Written before it looks at
   * {@link #running} and parks; {@link #started} writes {@code running} before it reads this, so either the watchdog
   * sees the call or the call sees when the watchdog wakes (all volatile, one total order).
   */
  private volatile long wakeAt = NEVER;
  private final Thread thread;

  /** {@code onTimeout} receives the id of the call that overran; it reports it and halts the JVM. */
  CallWatchdog(LongConsumer onTimeout) {
    thread = new Thread(() -> watch(onTimeout), "airlock-call-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  /** Call ids are positive; the worker's own warm-up call (id 0) is not watched. */
  void started(long callId, long timeoutMillis) {
    long millis = Math.min(Math.max(1, timeoutMillis), TimeUnit.DAYS.toMillis(365));
    // The deadline is written before the id: a watchdog that sees the id sees its deadline.
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    deadlineNanos = deadline;
    running.set(callId);
    long wake = wakeAt;
    if (callId != NONE && (wake == NEVER || deadline - wake < 0)) {
      LockSupport.unpark(thread);
    }
  }

  /** False when the watchdog claimed the call first: it is reporting the timeout and halting the JVM. */
  boolean finished(long callId) {
    return running.compareAndSet(callId, NONE);
  }

  /**
   * A wake-up for any other reason (a spurious one, an unpark or an interrupt by guest code) only makes it look
   * again: the interrupt status is cleared, so guest code can neither stop the watchdog nor make it spin.
   */
  private void watch(LongConsumer onTimeout) {
    while (true) {
      Thread.interrupted();
      long callId = running.get();
      long now = System.nanoTime();
      if (callId != NONE) {
        long deadline = deadlineNanos;
        if (deadline - now > 0) {
          sleepUntil(deadline, callId, now);
        } else if (running.compareAndSet(callId, NONE)) {
          onTimeout.accept(callId);
        }
        continue;
      }
      long wake = wakeAt;
      if (wake != NEVER && wake - now > 0) {
        sleepUntil(wake, NONE, now);
        continue;
      }
      wakeAt = NEVER;
      if (running.get() == NONE) {
        LockSupport.park(this);
      }
    }
  }

  /** Publishes {@code until}, then parks until it unless the running call changed from {@code seen} meanwhile. */
  private void sleepUntil(long until, long seen, long now) {
    wakeAt = until;
    if (running.get() == seen) {
      LockSupport.parkNanos(this, until - now);
    }
  }
}
