package dev.airlock.internal.codec;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Codec instances lent to one thread at a time. A Kryo is not thread-safe, and was kept per thread; but building one
 * is about 0.5 ms of interpreted work, which every new thread paid on its first call (a server's request threads, an
 * agent framework's executor) while the instances the warm-up built sat unused on its finished thread. Pooled, the
 * first call of any thread takes one already built. An instance is handed back only in the state its codec leaves it
 * in after every use (reset, no deadline, the strictest allowlist), so what one call set never reaches the next.
 */
final class KryoPool<T> {
  /** Instances kept idle; more are made when more threads encode at once, and dropped when handed back. */
  private static final int MAX_IDLE = 16;

  private final Supplier<T> maker;
  private final ConcurrentLinkedDeque<T> idle = new ConcurrentLinkedDeque<>();
  private final AtomicInteger idleCount = new AtomicInteger();

  KryoPool(Supplier<T> maker) {
    this.maker = maker;
  }

  /** An instance for this thread alone until {@link #giveBack}: the most recently used, whose caches are warm. */
  T borrow() {
    T kept = idle.pollFirst();
    if (kept == null) {
      return maker.get();
    }
    idleCount.decrementAndGet();
    return kept;
  }

  /** Returns {@code instance}, which the caller no longer uses, in its clean state. */
  void giveBack(T instance) {
    if (idleCount.incrementAndGet() <= MAX_IDLE) {
      idle.offerFirst(instance);
    } else {
      idleCount.decrementAndGet();
    }
  }
}
