package dev.airlock.internal.cloud;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How many times and how long to retry a cloud call. Rate limits (429) are retried on any call, since the request
 * was refused before it did anything, waiting what {@code Retry-After} asks (capped); server errors and broken
 * connections only on idempotent calls, with exponential backoff and full jitter so many hosts do not retry in step.
 *
 * @param attempts total tries, the first included
 * @param baseDelay the first backoff step
 * @param maxDelay the cap on one wait, including what {@code Retry-After} asks
 */
public record RetryPolicy(int attempts, Duration baseDelay, Duration maxDelay, Sleeper sleeper) {
  public static final RetryPolicy DEFAULT = new RetryPolicy(4, Duration.ofMillis(250), Duration.ofSeconds(10),
      Sleeper.THREAD);

  public RetryPolicy {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
    }
  }

  public RetryPolicy withSleeper(Sleeper sleeper) {
    return new RetryPolicy(attempts, baseDelay, maxDelay, sleeper);
  }

  /** The wait before retry number {@code retry} (1-based) when the server did not say. */
  Duration backoff(int retry) {
    long cap = Math.min(maxDelay.toMillis(), baseDelay.toMillis() << Math.min(retry - 1, 16));
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
  }

  Duration retryAfter(Duration asked) {
    return asked.compareTo(maxDelay) > 0 ? maxDelay : asked;
  }

  /** Waits between attempts; tests record instead of sleeping. */
  @FunctionalInterface
  public interface Sleeper {
    Sleeper THREAD = d -> Thread.sleep(d.toMillis());

    void sleep(Duration duration) throws InterruptedException;
  }
}
