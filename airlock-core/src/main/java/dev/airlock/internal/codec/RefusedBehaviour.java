package dev.airlock.internal.codec;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Kinds of object a result may not contain even when their class is admitted: a class from outside the JDK that
 * is a {@link Comparator}, an {@link InvocationHandler}, a dynamic proxy, or implements a functional interface.
 * Each is code in the shape of data; inside a decoded collection (a {@code TreeMap}'s comparator, a proxy's
 * handler) the host would run it while reading, on the worker's choice. A result is only ever ordered by the JDK's
 * natural or reverse order.
 */
final class RefusedBehaviour {

  /**
   * Each class's answer, "" for none: a decode judges each class it meets, and the answer, a walk of the class's
   * supertypes, depends on nothing else. A string, an object of the JDK's, so that the value kept on a class does not
   * hold this library's class loader.
   */
  private static final ClassValue<String> ANSWERS = new ClassValue<>() {
    @Override
    protected String computeValue(Class<?> type) {
      String why = find(type);
      return why == null ? "" : why;
    }
  };

  private RefusedBehaviour() {
  }

  /** Why {@code type} may not appear in a result, or {@code null} when it may. */
  static String of(Class<?> type) {
    if (ClassAllowlist.isJdk(type)) {
      return null;
    }
    String why = ANSWERS.get(type);
    return why.isEmpty() ? null : why;
  }

  private static String find(Class<?> type) {
    if (Proxy.isProxyClass(type)) {
      return "is a dynamic proxy, whose handler would run on the host";
    }
    Deque<Class<?>> todo = new ArrayDeque<>();
    Set<Class<?>> seen = new HashSet<>();
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      todo.add(c);
    }
    while (!todo.isEmpty()) {
      Class<?> c = todo.poll();
      if (!seen.add(c)) {
        continue;
      }
      if (c == Comparator.class) {
        return "implements java.util.Comparator: a result may only be ordered by the JDK's natural or reverse "
            + "order, since decoding runs the comparator it carries";
      }
      if (c == InvocationHandler.class) {
        return "implements java.lang.reflect.InvocationHandler, which would run on the host";
      }
      if (c.isInterface() && c.isAnnotationPresent(FunctionalInterface.class)) {
        return "implements the functional interface " + c.getName() + ": code, not data";
      }
      todo.addAll(List.of(c.getInterfaces()));
    }
    return null;
  }
}
