package dev.airlock.internal.pool;

import dev.airlock.internal.wire.Messages;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The application classes that calls ship (receivers, declaring classes, argument types), remembered so a worker
 * started later can load them before its first call. Bounded: the oldest names go first. A call whose classes are
 * known costs a lookup per class and no lock.
 */
final class ShippedClasses {
  private final Set<String> known = ConcurrentHashMap.newKeySet();
  private final ArrayDeque<String> order = new ArrayDeque<>();

  void note(Object receiver, Method method, Object[] args) {
    if (receiver != null) {
      note(receiver.getClass());
    }
    note(method.getDeclaringClass());
    for (Object arg : args) {
      if (arg != null) {
        note(arg.getClass());
      }
    }
  }

  /** Classes of the JDK, arrays and lambdas (hidden classes, which have no loadable name) are not worth naming. */
  private void note(Class<?> type) {
    ClassLoader loader = type.getClassLoader();
    if (loader == null || loader == ClassLoader.getPlatformClassLoader() || type.isArray() || type.isHidden()) {
      return;
    }
    String name = type.getName();
    if (!known.contains(name)) {
      remember(name);
    }
  }

  private synchronized void remember(String name) {
    if (known.add(name)) {
      order.addLast(name);
      if (order.size() > Messages.MAX_PREPARED_CLASSES) {
        known.remove(order.removeFirst());
      }
    }
  }

  synchronized List<String> recent() {
    return List.copyOf(order);
  }
}
