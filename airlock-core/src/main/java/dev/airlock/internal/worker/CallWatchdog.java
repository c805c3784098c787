package dev.airlock.internal.worker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Layer one of the timeout, off the call's path: the call runs on the thread that read it, and this daemon sleeps
 * until the running call's deadline, then checks whether it passed. Between calls it is parked, so an idle worker's
 * JVM wakes for nothing (it polled 5-10 times a second: ~0.7 ms of CPU a second per idle worker, measured from
 * {@code /proc/<pid>/task/<tid>/schedstat}); a call's start costs one unpark, no hand-off waits on it. Exactly one of
 * the call's own answer and the timeout wins: whoever claims the running call first.
 */
final class CallWatchdog {
  private static final long NONE = 0;

  private final AtomicLong running = new AtomicLong(NONE);
  private volatile long deadlineNanos;
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
    deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    running.set(callId);
    if (callId != NONE) {
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
      if (callId == NONE) {
        LockSupport.park(this);
        continue;
      }
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        LockSupport.parkNanos(this, left);
      } else if (running.compareAndSet(callId, NONE)) {
        onTimeout.accept(callId);
      }
    }
  }
}
