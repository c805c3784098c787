package dev.airlock.internal.worker;

import dev.airlock.internal.codec.ShippedInvocation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The methods this worker's calls name, found once each: an invocation names its class, parameter types and method
 * by string, and loading the classes, finding the method and opening it ran, mostly interpreted, on every call of a
 * reused worker (60-75 us of its CPU per call, per-phase timers). Kept for the worker's life, which for a single-use
 * worker is one call (and its warm-up); at most {@link #MAX_KEPT}, after which further methods are found each time.
 * Only the thread that runs calls uses it.
 */
final class ToolMethods {
  static final int MAX_KEPT = 256;
  private static final Map<String, Class<?>> PRIMITIVES = Map.of("boolean", boolean.class, "byte", byte.class,
      "char", char.class, "short", short.class, "int", int.class, "long", long.class, "float", float.class,
      "double", double.class, "void", void.class);

  /**
   * A kept method's name. Equality is written out: a record's own methods are linked through {@code ObjectMethods}
   * on their first use, about 3 ms of every worker's warm-up (WarmUpLoadsTest).
   */
  private record Key(String declaringClass, String methodName, List<String> parameterTypes) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Key key && declaringClass.equals(key.declaringClass)
          && methodName.equals(key.methodName) && parameterTypes.equals(key.parameterTypes);
    }

    @Override
    public int hashCode() {
      return (declaringClass.hashCode() * 31 + methodName.hashCode()) * 31 + parameterTypes.hashCode();
    }
  }

  private final Map<Key, Method> kept = new HashMap<>();

  /** The invocation's method, accessible; loaded without initializing its class (the call initializes it). */
  Method find(ShippedInvocation invocation) throws ReflectiveOperationException {
    Key key = new Key(invocation.declaringClass, invocation.methodName, List.of(invocation.parameterTypes));
    Method method = kept.get(key);
    if (method != null) {
      return method;
    }
    ClassLoader loader = WorkerMain.class.getClassLoader();
    Class<?> owner = Class.forName(invocation.declaringClass, false, loader);
    Class<?>[] params = new Class<?>[invocation.parameterTypes.length];
    for (int i = 0; i < params.length; i++) {
      String name = invocation.parameterTypes[i];
      params[i] = PRIMITIVES.containsKey(name) ? PRIMITIVES.get(name) : Class.forName(name, false, loader);
    }
    method = declaredOrInherited(owner, invocation.methodName, params);
    method.setAccessible(true);
    if (kept.size() < MAX_KEPT) {
      kept.put(key, method);
    }
    return method;
  }

  /**
   * The method {@code owner} declares, else the nearest overridable one it inherits from a superclass: the host's
   * class may declare an override this JVM's copy lacks (the java agent adds one to a class that inherits a tool
   * method's implementation, to intercept it), and calling the inherited method on the receiver runs the same code.
   */
  private static Method declaredOrInherited(Class<?> owner, String name, Class<?>[] params)
      throws NoSuchMethodException {
    try {
      return owner.getDeclaredMethod(name, params);
    } catch (NoSuchMethodException notDeclared) {
      for (Class<?> type = owner.getSuperclass(); type != null && type != Object.class; type = type.getSuperclass()) {
        try {
          Method inherited = type.getDeclaredMethod(name, params);
          if (!Modifier.isPrivate(inherited.getModifiers()) && !Modifier.isStatic(inherited.getModifiers())) {
            return inherited;
          }
        } catch (NoSuchMethodException notHere) {
          // look further up
        }
      }
      throw notDeclared;
    }
  }

  /** How many methods are kept. */
  int size() {
    return kept.size();
  }
}
