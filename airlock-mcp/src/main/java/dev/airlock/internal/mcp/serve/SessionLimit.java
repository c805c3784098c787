package dev.airlock.internal.mcp.serve;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Bounds the streamable HTTP sessions a server keeps. Any client can open one with an {@code initialize} and keep it
 * for the SDK's sweep interval without another word: a loop opened thousands a minute, each held in memory and each
 * a fresh "session" to approval's per-session limit. Sessions are counted from the id the SDK hands out until the
 * client deletes it, the SDK no longer knows it (404), or it has been idle past the SDK's sweep; an {@code initialize}
 * past the bound is refused before the SDK sees it. Opens in progress count, so concurrent ones cannot overshoot.
 */
final class SessionLimit {
  private final int max;
  private final long idleNanos;
  private final LongSupplier nanoTime;
  /** Session id to the time it was last used, least recently used first. */
  private final Map<String, Long> live = new LinkedHashMap<>(16, 0.75f, true);
  private int opening;

  SessionLimit(int max, Duration idle) {
    this(max, idle, System::nanoTime);
  }

  SessionLimit(int max, Duration idle, LongSupplier nanoTime) {
    this.max = max;
    this.idleNanos = idle.toNanos();
    this.nanoTime = nanoTime;
  }

  int max() {
    return max;
  }

  /** Whether a new session may open; when it may, {@link #opened} must follow, with its id or null. */
  synchronized boolean tryOpen() {
    expire();
    if (live.size() + opening >= max) {
      return false;
    }
    opening++;
    return true;
  }

  /** The open that {@link #tryOpen} admitted has ended: with the session's id, or {@code null} when none was made. */
  synchronized void opened(String sessionId) {
    opening--;
    if (sessionId != null) {
      live.put(sessionId, nanoTime.getAsLong());
    }
  }

  /** A request of {@code sessionId} was answered: still live, or gone ({@code ended}: deleted, or unknown). */
  synchronized void used(String sessionId, boolean ended) {
    if (ended) {
      live.remove(sessionId);
    } else if (live.containsKey(sessionId)) {
      live.put(sessionId, nanoTime.getAsLong());
    }
  }

  private void expire() {
    long now = nanoTime.getAsLong();
    for (Iterator<Long> it = live.values().iterator(); it.hasNext(); ) {
      if (now - it.next() <= idleNanos) {
        return; // least recently used first: the rest are newer
      }
      it.remove();
    }
  }
}
