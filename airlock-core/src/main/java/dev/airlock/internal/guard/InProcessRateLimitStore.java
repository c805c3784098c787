package dev.airlock.internal.guard;

import dev.airlock.RateLimitStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Token buckets in this process: each starts full and refills continuously at {@code permits / period}. */
public final class InProcessRateLimitStore implements RateLimitStore {
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  @Override
  public Duration tryAcquire(String key, int permits, Duration period, Instant now) {
    Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(permits, now));
    synchronized (bucket) {
      double perNano = permits / (double) period.toNanos();
      long elapsed = Math.max(0, Duration.between(bucket.updated, now).toNanos());
      bucket.tokens = Math.min(permits, bucket.tokens + elapsed * perNano);
      bucket.updated = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return Duration.ZERO;
      }
      return Duration.ofNanos((long) Math.ceil((1 - bucket.tokens) / perNano));
    }
  }

  private static final class Bucket {
    double tokens;
    Instant updated;

    Bucket(int permits, Instant now) {
      this.tokens = permits;
      this.updated = now;
    }
  }
}
