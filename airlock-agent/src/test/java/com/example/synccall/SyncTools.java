package com.example.synccall;

import dev.airlock.annotation.Airlock;

/** Synchronized host tools: each body tells whether it holds the monitor the JVM would hold for it. */
public class SyncTools {
  public static volatile int bodyRuns;

  @Airlock(timeoutSeconds = 3)
  public synchronized String run(String s) {
    bodyRuns++;
    return "ran " + s + " locked=" + Thread.holdsLock(this);
  }

  @Airlock(timeoutSeconds = 3)
  public static synchronized String runStatic(String s) {
    bodyRuns++;
    return "ran " + s + " locked=" + Thread.holdsLock(SyncTools.class);
  }

  @Airlock(timeoutSeconds = 3)
  public synchronized long fail(long code) {
    bodyRuns++;
    if (code > 0) {
      throw new IllegalArgumentException("code " + code);
    }
    return code;
  }

  /** A body that catches what it throws itself: its own handler runs, under the monitor. */
  @Airlock(timeoutSeconds = 3)
  public synchronized String recover(String s) {
    bodyRuns++;
    try {
      if (s.isEmpty()) {
        throw new IllegalStateException("empty");
      }
      return "ok " + s;
    } catch (IllegalStateException e) {
      return "recovered " + e.getMessage() + " locked=" + Thread.holdsLock(this);
    }
  }
}
