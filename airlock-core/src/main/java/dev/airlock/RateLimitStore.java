package dev.airlock;

import java.time.Duration;
import java.time.Instant;

/**
 * Where rate-limit buckets live. The default keeps them in this process; an implementation over a shared store
 * (Redis, a database) enforces one limit across hosts.
 */
public interface RateLimitStore {

  /**
   * Takes one permit from the token bucket {@code key} that holds {@code permits} per {@code period}.
   *
   * @return {@link Duration#ZERO} when granted, else how long until a permit is free
   */
  Duration tryAcquire(String key, int permits, Duration period, Instant now);
}
