package dev.airlock.agent;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the agent knows of types by name, per class loader that resolves the name (the boot loader's under null).
 * Weakly keyed: a loader that goes away takes its entries with it.
 */
final class PerLoader<V> {
  private final Map<ClassLoader, Map<String, V>> byLoader = new WeakHashMap<>();
  private final Map<String, V> boot = new ConcurrentHashMap<>();

  /**
   * What is known of {@code name} under the nearest ancestor of {@code loader} (its parent first, the boot loader
   * last), or null: for a type that cannot be read as a resource (generated at run time), defined by an ancestor, as
   * parent delegation defines most of the types a loader resolves.
   */
  V inAncestors(ClassLoader loader, String name) {
    for (ClassLoader ancestor = loader; ancestor != null; ) {
      ancestor = ancestor.getParent();
      V known = of(ancestor).get(name);
      if (known != null) {
        return known;
      }
    }
    return null;
  }

  Map<String, V> of(ClassLoader loader) {
    if (loader == null) {
      return boot;
    }
    // No lambdas on this path: the first one would bootstrap the JDK's lambda machinery inside the premain's filter.
    synchronized (byLoader) {
      Map<String, V> known = byLoader.get(loader);
      if (known == null) {
        known = new ConcurrentHashMap<>();
        byLoader.put(loader, known);
      }
      return known;
    }
  }
}
