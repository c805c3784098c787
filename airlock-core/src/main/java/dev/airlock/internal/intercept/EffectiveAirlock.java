package dev.airlock.internal.intercept;

import dev.airlock.annotation.Airlock;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one rule, shared by the java agent, the AspectJ aspect and the Spring advisor, for which {@link Airlock}
 * governs a method, so that no adapter can run a tool unguarded because its annotation sits elsewhere:
 * <ol>
 *   <li>the method that really runs for the receiver (an implementation found from the receiver's class; a
 *       compiler-generated bridge resolved to the method it bridges to), if it is annotated;</li>
 *   <li>else the nearest method it overrides or implements: the receiver's class and its supertypes are searched,
 *       each type's own declaration first, then its interfaces, then its superclass (as Spring's merged-annotation
 *       lookup does); an override of a generic method is recognised through its bridge methods;</li>
 *   <li>else, for a public instance method other than {@code equals}, {@code hashCode} and {@code toString}, an
 *       annotation on the class declaring it or on one of that class's supertypes.</li>
 * </ol>
 * Results are cached per receiver class and method.
 */
public final class EffectiveAirlock {

  /**
   * The annotation that governs a call, and the method whose body the call runs.
   *
   * @param conflict null, or why the call is refused: a stricter {@link Airlock} of the method's hierarchy (a
   *     required sandbox, a sandbox, an approval) that the governing one does not override, such as a sibling
   *     interface's or a superclass's that does not implement the stricter interface; which of them governs would
   *     depend on the order of declarations ({@code implements HostTool, ShellTool}), never on intent
   */
  public record Resolved(Method method, Airlock airlock, String conflict) {
    public Resolved(Method method, Airlock airlock) {
      this(method, airlock, null);
    }
  }

  private static final ClassValue<Map<Method, Optional<Resolved>>> CACHE = new ClassValue<>() {
    @Override
    protected Map<Method, Optional<Resolved>> computeValue(Class<?> type) {
      return new ConcurrentHashMap<>();
    }
  };

  private static final Set<String> OBJECT_METHODS = Set.of("equals", "hashCode", "toString");

  private EffectiveAirlock() {
  }

  /**
   * The annotation governing {@code method} when called on an instance of {@code targetClass}.
   *
   * @param targetClass the receiver's class, or {@code null} (static methods, unknown receiver): the method's own
   * @param method the method as the adapter saw it: declared anywhere in the hierarchy, or a bridge
   */
  public static Optional<Resolved> of(Class<?> targetClass, Method method) {
    Class<?> target = targetClass == null || Modifier.isStatic(method.getModifiers())
        ? method.getDeclaringClass() : targetClass;
    return CACHE.get(target).computeIfAbsent(method, m -> resolve(target, m));
  }

  /** Whether calls of {@code method} on {@code targetClass} are tool calls: what pointcuts and matchers ask. */
  public static boolean governs(Class<?> targetClass, Method method) {
    return of(targetClass, method).isPresent();
  }

  private static Optional<Resolved> resolve(Class<?> target, Method method) {
    Method specific = bridged(mostSpecific(target, method));
    Airlock own = specific.getAnnotation(Airlock.class);
    if (own != null) {
      return Optional.of(resolved(target, specific, own, new Found(own, specific.getDeclaringClass(), false,
          specific)));
    }
    if (Modifier.isStatic(specific.getModifiers()) || Modifier.isPrivate(specific.getModifiers())) {
      return Optional.empty();
    }
    List<Class<?>[]> signatures = signatures(target, specific);
    for (Class<?> type : hierarchy(target)) {
      for (Method candidate : type.getDeclaredMethods()) {
        if (overrides(specific, signatures, candidate)) {
          Airlock inherited = candidate.getAnnotation(Airlock.class);
          if (inherited != null) {
            return Optional.of(resolved(target, specific, inherited, new Found(inherited, type, false, candidate)));
          }
        }
      }
    }
    if (classLevel(specific)) {
      for (Class<?> type : hierarchy(specific.getDeclaringClass())) {
        Airlock onType = type.getAnnotation(Airlock.class);
        if (onType != null) {
          return Optional.of(new Resolved(specific, onType, conflict(target, specific,
              new Found(onType, type, true, null))));
        }
      }
    }
    return Optional.empty();
  }

  /** Whether the third rule (an annotation on the class) may govern {@code specific}. */
  private static boolean classLevel(Method specific) {
    return Modifier.isPublic(specific.getModifiers()) && !Modifier.isStatic(specific.getModifiers())
        && !specific.isSynthetic() && !OBJECT_METHODS.contains(specific.getName());
  }

  private static Resolved resolved(Class<?> target, Method specific, Airlock airlock, Found governing) {
    return new Resolved(specific, airlock, conflict(target, specific, governing));
  }

  /** An {@link Airlock} of a method's hierarchy: on a method ({@code method}) or on a type, declared in {@code at}. */
  private record Found(Airlock airlock, Class<?> at, boolean onType, Method method) {
    /**
     * Whether this, found first, deliberately replaces {@code other}: it is declared below it (an override's own
     * annotation, an interface extending the stricter one), or on a method of the very type {@code other} marks.
     */
    boolean overrides(Found other) {
      // Same type: a method's own annotation over its class's, or the same declaration.
      return other.at.isAssignableFrom(at) && (at != other.at || !onType || other.onType);
    }

    String describe() {
      String where = onType ? "the class-level @Airlock of " + at.getName()
          : "the @Airlock of " + at.getName() + "." + method.getName();
      Airlock a = airlock;
      return where + " (" + (a.sandbox() ? "sandbox = true" : "sandbox = false")
          + (a.sandboxRequired() ? ", sandboxRequired = true" : "") + (a.approval() ? ", approval = true" : "") + ")";
    }
  }

  /** Host 0, a sandbox with fallback 1, a required sandbox 2 (sandboxRequired alone is refused, never host: 2). */
  private static int strength(Airlock airlock) {
    return airlock.sandboxRequired() ? 2 : airlock.sandbox() ? 1 : 0;
  }

  /**
   * Null, or why the call is refused: another {@link Airlock} that also governs {@code specific} on {@code target}
   * (its own, one on a method it overrides or implements, one on its class or a supertype under the third rule) asks
   * for more than the governing one (a sandbox, a required sandbox, an approval), and the governing one does not
   * deliberately replace it ({@link Found#overrides}). {@code class A extends Base implements ShellTool}, with
   * {@code Base.run} a host tool and {@code ShellTool.run} requiring a sandbox, or {@code implements HostTool,
   * ShellTool}: the first declaration found governed, so the order of declarations chose a host run.
   */
  private static String conflict(Class<?> target, Method specific, Found governing) {
    List<Found> others = new ArrayList<>();
    Airlock own = specific.getAnnotation(Airlock.class);
    if (own != null) {
      others.add(new Found(own, specific.getDeclaringClass(), false, specific));
    }
    if (!Modifier.isStatic(specific.getModifiers()) && !Modifier.isPrivate(specific.getModifiers())) {
      List<Class<?>[]> signatures = signatures(target, specific);
      for (Class<?> type : hierarchy(target)) {
        for (Method candidate : type.getDeclaredMethods()) {
          Airlock annotation = candidate.getAnnotation(Airlock.class);
          if (annotation != null && overrides(specific, signatures, candidate)) {
            others.add(new Found(annotation, type, false, candidate));
          }
        }
      }
    }
    if (classLevel(specific)) {
      for (Class<?> type : hierarchy(specific.getDeclaringClass())) {
        Airlock onType = type.getAnnotation(Airlock.class);
        if (onType != null) {
          others.add(new Found(onType, type, true, null));
        }
      }
    }
    Airlock g = governing.airlock();
    for (Found other : others) {
      Airlock o = other.airlock();
      boolean stricter = strength(o) > strength(g) || o.approval() && !g.approval();
      if (stricter && !governing.overrides(other)) {
        return "Airlock: " + specific.getDeclaringClass().getName() + "." + specific.getName() + " on "
            + target.getName() + " is governed by " + governing.describe() + ", but it also implements "
            + other.describe() + ", which asks for more and which the governing one does not override: which "
            + "of them governs depends on the order of declarations (implements, extends), so the call is "
            + "refused. Fix: declare the method in " + target.getSimpleName() + " with its own @Airlock saying "
            + "what it needs (@Airlock(sandbox = true, sandboxRequired = true) to keep the stricter one)";
      }
    }
    return null;
  }

  /** The declaration of {@code method} that an instance of {@code target} runs: the nearest override. */
  private static Method mostSpecific(Class<?> target, Method method) {
    if (Modifier.isStatic(method.getModifiers()) || Modifier.isPrivate(method.getModifiers())) {
      return method;
    }
    for (Class<?> type = target; type != null && type != Object.class; type = type.getSuperclass()) {
      try {
        Method declared = type.getDeclaredMethod(method.getName(), method.getParameterTypes());
        if (!Modifier.isPrivate(declared.getModifiers()) && !Modifier.isStatic(declared.getModifiers())) {
          return declared;
        }
      } catch (NoSuchMethodException e) {
        // not declared here: look further up
      }
    }
    return method;
  }

  /** A bridge's target: the method of the same class and name whose parameters narrow the bridge's. */
  private static Method bridged(Method method) {
    if (!method.isBridge()) {
      return method;
    }
    for (Method candidate : method.getDeclaringClass().getDeclaredMethods()) {
      if (!candidate.isBridge() && candidate.getName().equals(method.getName())
          && narrows(candidate.getParameterTypes(), method.getParameterTypes())
          && method.getReturnType().isAssignableFrom(candidate.getReturnType())) {
        return candidate;
      }
    }
    return method;
  }

  /**
   * The erased parameter lists under which {@code specific} can be called virtually: its own, and those of the
   * bridges the compiler generated for it in the receiver's class chain (an override of {@code run(T)} with
   * {@code run(String)} is reached through a bridge {@code run(Object)}).
   */
  private static List<Class<?>[]> signatures(Class<?> target, Method specific) {
    List<Class<?>[]> out = new ArrayList<>();
    out.add(specific.getParameterTypes());
    for (Class<?> type = target; type != null && type != Object.class; type = type.getSuperclass()) {
      for (Method m : type.getDeclaredMethods()) {
        if (m.isBridge() && m.getName().equals(specific.getName())
            && narrows(specific.getParameterTypes(), m.getParameterTypes())) {
          out.add(m.getParameterTypes());
        }
      }
    }
    return out;
  }

  private static boolean overrides(Method specific, List<Class<?>[]> signatures, Method candidate) {
    if (candidate.isBridge() || !candidate.getName().equals(specific.getName())
        || Modifier.isStatic(candidate.getModifiers()) || Modifier.isPrivate(candidate.getModifiers())) {
      return false;
    }
    Class<?>[] parameters = candidate.getParameterTypes();
    return signatures.stream().anyMatch(s -> Arrays.equals(s, parameters));
  }

  private static boolean narrows(Class<?>[] narrow, Class<?>[] wide) {
    if (narrow.length != wide.length) {
      return false;
    }
    for (int i = 0; i < narrow.length; i++) {
      if (!wide[i].isAssignableFrom(narrow[i])) {
        return false;
      }
    }
    return true;
  }

  /** {@code type}, then depth-first its interfaces and its superclass, each type once; {@code Object} excluded. */
  private static Set<Class<?>> hierarchy(Class<?> type) {
    Set<Class<?>> out = new LinkedHashSet<>();
    Deque<Class<?>> pending = new ArrayDeque<>();
    pending.push(type);
    while (!pending.isEmpty()) {
      Class<?> next = pending.pop();
      if (next == Object.class || !out.add(next)) {
        continue;
      }
      if (next.getSuperclass() != null) {
        pending.push(next.getSuperclass());
      }
      Class<?>[] interfaces = next.getInterfaces();
      for (int i = interfaces.length - 1; i >= 0; i--) {
        pending.push(interfaces[i]);
      }
    }
    return out;
  }
}
