package dev.airlock.internal.worker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Layer one of the timeout, off the call's path: the call runs on the thread that read it, and this daemon checks a
 * few times a second whether the running call passed its deadline. Checking rather than being woken per call keeps
 * thread hand-offs out of every call's latency. Exactly one of the call's own answer and the timeout wins: whoever
 * claims the running call first.
 */
final class CallWatchdog {
  private static final long POLL_MILLIS = 20;
  /** Between calls it looks less often; a call's deadline is then checked at most this much late. */
  private static final long IDLE_POLL_MILLIS = 100;
  private static final long NONE = 0;

  private final AtomicLong running = new AtomicLong(NONE);
  private volatile long deadlineNanos;

  /** {@code onTimeout} receives the id of the call that overran; it reports it and halts the JVM. */
  CallWatchdog(LongConsumer onTimeout) {
    Thread thread = new Thread(() -> watch(onTimeout), "airlock-call-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  /** Call ids are positive; the worker's own warm-up call (id 0) is not watched. */
  void started(long callId, long timeoutMillis) {
    long millis = Math.min(Math.max(1, timeoutMillis), TimeUnit.DAYS.toMillis(365));
    // The deadline is written before the id: a watchdog that sees the id sees its deadline.
    deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    running.set(callId);
  }

  /** False when the watchdog claimed the call first: it is reporting the timeout and halting the JVM. */
  boolean finished(long callId) {
    return running.compareAndSet(callId, NONE);
  }

  private void watch(LongConsumer onTimeout) {
    while (true) {
      long callId = running.get();
      if (callId != NONE && System.nanoTime() - deadlineNanos >= 0 && running.compareAndSet(callId, NONE)) {
        onTimeout.accept(callId);
      }
      try {
        Thread.sleep(callId == NONE ? IDLE_POLL_MILLIS : POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
