package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.KryoException;
import java.math.BigInteger;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Refuses a result's hashed collection whose elements share hash codes in bulk. A hash table compares an element
 * with every other of the same hash code (with {@code equals}; JDK tables fall back to {@code compareTo} only for
 * keys of one class that compares with itself), so a few thousand distinct lists with one hash code make reading one
 * set quadratic, inside a single insertion where no deadline can be checked. Real data almost never holds more than a
 * handful of distinct values with one 32-bit hash code; a worker can only send distinct elements of a set it really
 * had.
 */
final class HashFlood {
  /** Most elements of one collection that may share one hash code. */
  static final int MAX_SAME_HASH = 16;
  /**
   * Classes whose colliding values a {@code HashMap} orders in logarithmic time: each compares with itself, cheaply
   * (numbers are bounded at decode) and consistently with {@code equals} (unlike {@code BigDecimal}, whose equal
   * values of two scales fall back to a scan of the bin).
   */
  private static final Set<Class<?>> ORDERED_IN_A_BIN = Set.of(String.class, Long.class, Integer.class, Short.class,
      Byte.class, Character.class, Double.class, Float.class, BigInteger.class);

  private HashFlood() {
  }

  /** The elements of one hash code: how many, and their one class, or {@code null} once two classes met. */
  private static final class Bin {
    int count;
    Class<?> onlyClass;
  }

  /**
   * Throws when more than {@link #MAX_SAME_HASH} elements share a hash code. With {@code orderedBinsExempt}, a hash
   * code whose elements are all of one class in {@link #ORDERED_IN_A_BIN} is skipped: {@code HashMap} orders them by
   * {@code compareTo}. A String and a Long of one hash code do not compare with each other, so a mixed bin counts.
   * {@code deadline} is asked after every element, since one element's hash code may walk a large subtree.
   */
  static void check(Collection<?> elements, boolean orderedBinsExempt, Kryos.ResultKryo deadline) {
    if (elements.size() <= MAX_SAME_HASH) {
      return;
    }
    Map<Integer, Bin> bins = new HashMap<>();
    for (Object e : elements) {
      deadline.deadlineCheck();
      if (e == null) {
        continue;
      }
      int hash = e.hashCode();
      Bin bin = bins.computeIfAbsent(hash, h -> new Bin());
      if (bin.count++ == 0) {
        bin.onlyClass = e.getClass();
      } else if (bin.onlyClass != e.getClass()) {
        bin.onlyClass = null;
      }
      if (bin.count > MAX_SAME_HASH && !(orderedBinsExempt && bin.onlyClass != null
          && ORDERED_IN_A_BIN.contains(bin.onlyClass))) {
        throw new KryoException("more than " + MAX_SAME_HASH + " of its " + elements.size() + " set elements or "
            + "map keys share the hash code " + hash + ", which would make reading it quadratic (hash flooding)");
      }
    }
  }
}
