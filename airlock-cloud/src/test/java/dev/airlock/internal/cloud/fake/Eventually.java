package dev.airlock.internal.cloud.fake;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for what a backend does in the background (a worker discarded after its call, a sandbox warmed). */
public final class Eventually {
  private Eventually() {
  }

  /** Polls {@code condition} until it holds; fails naming {@code what} when it still does not after {@code wait}. */
  public static void await(String what, Duration wait, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still not the case after " + wait.toSeconds() + " s: " + what);
      }
      Thread.sleep(50);
    }
  }
}
