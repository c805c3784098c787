package dev.airlock.security.guest;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A result a guest may return, with methods that count their calls: on the host the counter shows whether decoding
 * or handing over the result ran any of them.
 */
public final class Trap {
  /** Calls of hashCode, equals and toString in this JVM. */
  public static final AtomicInteger CALLS = new AtomicInteger();

  public String payload = "set by the guest";

  @Override
  public int hashCode() {
    CALLS.incrementAndGet();
    return 1;
  }

  @Override
  public boolean equals(Object other) {
    CALLS.incrementAndGet();
    return other == this;
  }

  @Override
  public String toString() {
    CALLS.incrementAndGet();
    return "trap";
  }
}
