package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.KryoException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Refuses a result's hashed collection whose elements share hash codes in bulk. A hash table compares an element
 * with every other of the same hash code (with {@code equals}; JDK tables fall back to {@code compareTo} only for
 * mutually comparable keys), so a few thousand distinct lists with one hash code make reading one set quadratic,
 * inside a single insertion where no deadline can be checked. Real data almost never holds more than a handful of
 * distinct values with one 32-bit hash code; a worker can only send distinct elements of a set it really had.
 */
final class HashFlood {
  /** Most elements of one collection that may share one hash code. */
  static final int MAX_SAME_HASH = 16;

  private HashFlood() {
  }

  /**
   * Throws when more than {@link #MAX_SAME_HASH} elements share a hash code. With {@code comparableExempt}, JDK
   * values that compare among themselves are skipped: {@code HashMap} orders colliding ones by {@code compareTo},
   * in logarithmic time.
   */
  static void check(Collection<?> elements, boolean comparableExempt) {
    if (elements.size() <= MAX_SAME_HASH) {
      return;
    }
    Map<Integer, int[]> counts = null;
    for (Object e : elements) {
      if (e == null || (comparableExempt && e instanceof Comparable && ClassAllowlist.isJdk(e.getClass()))) {
        continue;
      }
      if (counts == null) {
        counts = new HashMap<>();
      }
      int hash = e.hashCode();
      if (++counts.computeIfAbsent(hash, h -> new int[1])[0] > MAX_SAME_HASH) {
        throw new KryoException("more than " + MAX_SAME_HASH + " of its " + elements.size() + " set elements or "
            + "map keys share the hash code " + hash + ", which would make reading it quadratic (hash flooding)");
      }
    }
  }
}
